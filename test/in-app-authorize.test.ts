// Web authorization inside the in-app browser, in Chromium, against code no one here wrote: a node-webot
// `wechat` server whose menu opens its shop, which logs in with `wechat-oauth` (its authorize URL as it builds
// it) → the chat's own user signs in on WeChat's consent sheet → the page shows that user's openid (the one in
// pushes and user/info) and nickname → wx.ready with co-wechat-api's getJsConfig and weixin-js-sdk. Back onto
// the ?code= URL gets 40163; a page cannot sign in as another user by naming one.
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import API from 'co-wechat-api';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import wechat from 'wechat';
import type { App } from '../server/app/app.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { guideScreenshot, launchBrowser } from './browser.ts';
import { oauthClient, listenSite, simulatorInFront } from './pages-helpers.ts';

const APPID = 'wx_authorize_test';
const SECRET = 'authorize-secret';
const JSSDK = readFileSync(new URL('../node_modules/weixin-js-sdk/index.js', import.meta.url), 'utf8');
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

describe('in-app browser: web authorization of the chat’s own user', function () {
  // Two servers, a browser and several page loads a test: room on a loaded machine, not a measure of speed.
  this.timeout(60_000);
  let browser: Browser | undefined;
  let target: Awaited<ReturnType<typeof listenSite>>;
  let targetPort = 0;
  let app: App;
  let simUrl = '';
  let api: InstanceType<typeof API>;
  /** The FromUserName of every push the server got. */
  const pushedFrom = new Set<string>();

  before(async function () {
    browser = await launchBrowser(this);
    const oauth = oauthClient(() => simUrl, SECRET, APPID);
    const getAccessToken = promisify(oauth.getAccessToken.bind(oauth));
    const getUser = promisify(oauth.getUser.bind(oauth));
    const site = express();
    site.use(
      '/wechat',
      wechat('tok', (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void }) => {
        pushedFrom.add(req.weixin.FromUserName!);
        res.reply(req.weixin.MsgType === 'event' && req.weixin.Event === 'subscribe' ? 'Welcome to the shop' : '');
      }),
    );
    site.get('/jweixin.js', (_req, res) => res.type('text/javascript').send(JSSDK));
    // The shop sends the browser to the authorize URL wechat-oauth builds, for its own host as it sees it.
    site.get('/shop', (req, res) => res.redirect(oauth.getAuthorizeURL(`http://${req.get('host')}/callback`, 'shop', String(req.query.scope ?? 'snsapi_userinfo'))));
    site.get('/callback', async (req, res) => {
      // A login page is never kept: Back onto it asks the server again, which then meets the used code.
      res.set('Cache-Control', 'no-store');
      let user: Record<string, unknown>;
      try {
        const token = await getAccessToken(String(req.query.code));
        user = token.data.scope === 'snsapi_userinfo' ? await getUser(token.data.openid) : { openid: token.data.openid, nickname: '(snsapi_base)' };
      } catch (err) {
        res.type('html').send(`<!doctype html><html><head><title>Login failed</title></head><body><p id="error">errcode ${(err as { code?: number }).code}</p></body></html>`);
        return;
      }
      const url = `http://${req.get('host')}${req.originalUrl}`;
      const config = await api.getJsConfig({ debug: false, jsApiList: ['getNetworkType'], url });
      // A hand-made link to the simulator's own authorize address naming another user, and the same by script.
      const asMallory = `${simUrl}/connect/oauth2/authorize?appid=${APPID}&redirect_uri=${encodeURIComponent(`http://${req.get('host')}/callback`)}&response_type=code&scope=snsapi_base&state=m&user=mallory&consent=allow`;
      res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script>var module = { exports: {} };</script><script src="/jweixin.js"></script><script>window.wx = module.exports;</script></head>
<body><p id="openid">${escape(String(user.openid))}</p><p id="nickname">${escape(String(user.nickname))}</p><p id="state">${escape(String(req.query.state))}</p><p id="out">waiting</p>
<a id="orders" href="/orders">Orders</a> <a id="as-mallory" href="${escape(asMallory)}">Mallory</a>
<button id="script-wechat" onclick="location.href = ${escape(JSON.stringify(oauth.getAuthorizeURL(`http://${req.get('host')}/callback`, 'w', 'snsapi_base')))}">WeChat by script</button>
<button id="fetch-mallory" onclick="fetch(${escape(JSON.stringify(asMallory))}, { mode: 'no-cors' }).catch(function () {}).then(function () { document.getElementById('fetched').textContent = 'fetched'; })">Mallory by fetch</button><p id="fetched"></p>
<script>
wx.config(${JSON.stringify(config)});
wx.ready(function () { document.getElementById('out').textContent = 'ready'; });
wx.error(function (res) { document.getElementById('out').textContent = res.errMsg; });
</script></body></html>`);
    });
    site.get('/orders', (_req, res) => res.type('html').send('<!doctype html><html><head><title>Orders</title></head><body><p id="orders-page">No orders yet</p></body></html>'));
    target = await listenSite(site);
    targetPort = target.port;
  });
  after(async () => {
    await browser?.close();
    await target.close();
  });

  beforeEach(async () => {
    ({ app, url: simUrl, api } = await simulatorInFront(targetPort, { appId: APPID, secret: SECRET }));
    await api.createMenu({
      button: [
        { type: 'view', name: 'Shop', url: `http://localhost:${targetPort}/shop` },
        { type: 'view', name: 'Quick', url: `http://localhost:${targetPort}/shop?scope=snsapi_base` },
      ],
    });
  });
  afterEach(() => app.close());

  async function openChat(userId: string): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${simUrl}/?user=${userId}`);
    await page.getByText('Welcome to the shop').waitFor();
    return page;
  }

  it('signs in the chat’s user on the consent sheet: openid and nickname in the page, wx.ready; Back onto ?code= is 40163', async () => {
    const page = await openChat('shopper');
    // The nickname set in the developer panel is the one the page gets.
    await page.getByRole('button', { name: 'Developer panel' }).click();
    const nickname = page.getByRole('textbox', { name: 'Nickname' });
    await page.waitForFunction(() => (document.getElementById('dev-nickname') as HTMLInputElement).value === 'Shopper');
    await nickname.fill('购物者');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();

    await page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Shop' }).click();
    const sheet = page.getByRole('dialog', { name: '获取你的昵称、头像' });
    await sheet.waitFor();
    expect(await sheet.textContent()).to.include('购物者').and.include(`localhost:${targetPort}`);
    await guideScreenshot(page, 'consent-sheet.png');
    await sheet.getByRole('button', { name: 'Allow' }).click();

    const frame = page.frameLocator('#browser-frame');
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    const openid = (await frame.locator('#openid').textContent())!;
    expect(openid).to.equal(openIdOf('shopper'));
    expect(pushedFrom).to.include(openid);
    expect(((await api.getUser(openid)) as { openid: string }).openid).to.equal(openid);
    expect(await frame.locator('#nickname').textContent()).to.equal('购物者');
    expect(await frame.locator('#state').textContent()).to.equal('shop');

    // On to another page and Back: the ?code= page asks the server again, which meets WeChat's 40163.
    await frame.getByRole('link', { name: 'Orders' }).click();
    await frame.locator('#orders-page').waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    await frame.locator('#error', { hasText: 'errcode 40163' }).waitFor();
    await page.context().close();
  });

  it('snsapi_base goes straight back; Deny goes back without a code; a page naming another user signs in no one else', async () => {
    const page = await openChat('buyer');
    const frame = page.frameLocator('#browser-frame');
    const menu = page.getByRole('navigation', { name: 'Menu' });
    await menu.getByRole('button', { name: 'Quick' }).click();
    await frame.locator('#nickname', { hasText: '(snsapi_base)' }).waitFor();
    expect(await frame.locator('#openid').textContent()).to.equal(openIdOf('buyer'));
    expect(await page.getByRole('dialog', { name: '获取你的昵称、头像' }).isVisible()).to.equal(false);

    // A link to the simulator's authorize address with user=mallory: the chat's user signs in, not mallory.
    await frame.getByRole('link', { name: 'Mallory' }).click();
    await frame.locator('#state', { hasText: 'm' }).waitFor();
    expect(await frame.locator('#openid').textContent()).to.equal(openIdOf('buyer'));
    // WeChat's address set by the page's script: caught too.
    await frame.getByRole('button', { name: 'WeChat by script' }).click();
    await frame.locator('#state', { hasText: 'w' }).waitFor();
    expect(await frame.locator('#openid').textContent()).to.equal(openIdOf('buyer'));
    // The page asks the simulator itself, naming mallory: refused, as from any page of another site.
    await frame.getByRole('button', { name: 'Mallory by fetch' }).click();
    await frame.locator('#fetched', { hasText: 'fetched' }).waitFor();
    const calls = (await app.service.recentApiCalls()).filter((call) => call.path.includes('user=mallory'));
    expect(calls.map((call) => call.errcode)).to.deep.equal([10008]);
    await page.getByRole('button', { name: 'Close' }).click();

    await menu.getByRole('button', { name: 'Shop' }).click();
    await page.getByRole('dialog', { name: '获取你的昵称、头像' }).getByRole('button', { name: 'Deny' }).click();
    // wechat-oauth gets no code to exchange: the platform's answer to an empty code.
    await frame.locator('#error', { hasText: /errcode \d+/ }).waitFor();
    await page.context().close();
  });
});
