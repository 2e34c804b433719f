// The in-app browser's JS-SDK APIs and page handling in Chromium, with weixin-js-sdk unchanged and co-wechat-api's
// getJsConfig: a picture chosen and uploaded (the serverId that media/get serves has its bytes), previewImage,
// getLocation (the developer panel's location), scanQRCode, hideMenuItems / hideOptionMenu, closeWindow, debug
// alerts, permission denied before wx.ready and outside jsApiList, Back within the page's history, the
// progress bar, and the bridge's rewriting of links and forms to other origins.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import API from 'co-wechat-api';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import wechat from 'wechat';
import type { App } from '../server/app/app.ts';
import { launchBrowser } from './browser.ts';
import { listenSite, simulatorInFront } from './pages-helpers.ts';
import { PNG } from './platform-helpers.ts';

const APPID = 'wx_apis_test';
const SECRET = 'apis-secret';
const JSSDK = readFileSync(new URL('../node_modules/weixin-js-sdk/index.js', import.meta.url), 'utf8');
const JS_APIS = ['chooseImage', 'uploadImage', 'previewImage', 'getLocation', 'scanQRCode', 'closeWindow', 'hideMenuItems', 'hideOptionMenu'];

describe('in-app browser: the JS-SDK’s APIs and the page’s navigation', function () {
  // Two servers, a browser and several page loads a test: room on a loaded machine, not a measure of speed.
  this.timeout(60_000);
  let browser: Browser | undefined;
  let target: Awaited<ReturnType<typeof listenSite>>;
  let targetPort = 0;
  let app: App;
  let simUrl = '';
  let api: InstanceType<typeof API>;
  /** The slow page's answer, held until the test sends it. */
  let slowAnswer: express.Response | undefined;

  before(async function () {
    browser = await launchBrowser(this);
    const site = express();
    site.use('/wechat', wechat('tok', (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void }) => res.reply(req.weixin.Event === 'subscribe' ? 'Welcome' : '')));
    site.get('/jweixin.js', (_req, res) => res.type('text/javascript').send(JSSDK));
    site.get('/pic.png', (_req, res) => res.type('png').send(PNG));
    site.get('/apis', async (req, res) => {
      const config = await api.getJsConfig({ debug: Boolean(req.query.debug), jsApiList: JS_APIS, url: `http://${req.get('host')}${req.originalUrl}` });
      const other = `http://127.0.0.1:${targetPort}/second`;
      res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>APIs</title>
<script>var module = { exports: {} };</script><script src="/jweixin.js"></script><script>window.wx = module.exports;</script></head>
<body><p id="out">waiting</p><p id="early"></p><p id="result"></p>
<button id="choose">choose</button><button id="preview">preview</button><button id="locate">locate</button><button id="scan">scan</button>
<button id="map">map</button><button id="hide">hide</button><button id="hide-option">hide option</button><button id="close">close</button>
<a href="/second">Second</a> <a href="${other}">Other origin</a>
<form method="post" action="http://localhost:${targetPort}/form"><input name="item" value="tea"><button>Order</button></form>
<script>
function show(text) { document.getElementById('result').textContent = text; }
function fail(res) { show(res.errMsg); }
wx.config(${JSON.stringify(config)});
// Called before wx.ready, though in jsApiList.
wx.getLocation({ complete: function (res) { document.getElementById('early').textContent = res.errMsg; } });
wx.ready(function () { document.getElementById('out').textContent = 'ready'; });
wx.error(function (res) { document.getElementById('out').textContent = res.errMsg; });
var on = function (id, run) { document.getElementById(id).onclick = run; };
on('choose', function () { wx.chooseImage({ count: 1, fail: fail, cancel: fail, success: function (res) {
  wx.uploadImage({ localId: res.localIds[0], isShowProgressTips: 0, fail: fail, success: function (up) { show('uploaded ' + up.serverId); } });
} }); });
on('preview', function () { wx.previewImage({ current: location.origin + '/pic.png', urls: [location.origin + '/pic.png'], complete: fail }); });
on('locate', function () { wx.getLocation({ type: 'wgs84', fail: fail, success: function (res) { show(res.latitude + ',' + res.longitude); } }); });
on('scan', function () { wx.scanQRCode({ needResult: 1, fail: fail, cancel: fail, success: function (res) { show('scanned ' + res.resultStr); } }); });
on('map', function () { wx.openLocation({ latitude: 23.1, longitude: 113.3, name: 'Shop', complete: fail }); });
on('hide', function () { wx.hideMenuItems({ menuList: ['menuItem:copyUrl'], complete: fail }); });
on('hide-option', function () { wx.hideOptionMenu({ complete: fail }); });
on('close', function () { wx.closeWindow(); });
</script></body></html>`);
    });
    site.get('/second', (req, res) => res.type('html').send(`<!doctype html><html><head><title>Second at ${req.get('host')}</title></head><body><p id="second">second</p></body></html>`));
    site.post('/form', express.urlencoded({ extended: false }), (req, res) => res.type('html').send(`<!doctype html><html><head><title>Ordered</title></head><body><p id="ordered">ordered ${String(req.body.item)}</p></body></html>`));
    site.get('/slow', (_req, res) => {
      slowAnswer = res;
    });
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
        { type: 'view', name: 'APIs', url: `http://localhost:${targetPort}/apis` },
        { type: 'view', name: 'Debug', url: `http://localhost:${targetPort}/apis?debug=1` },
        {
          name: 'Pages',
          sub_button: [
            { type: 'view', name: 'Slow', url: `http://localhost:${targetPort}/slow` },
            // Named in the menu, so the bridge may take the page's link there.
            { type: 'view', name: 'Other', url: `http://127.0.0.1:${targetPort}/second` },
          ],
        },
      ],
    });
  });
  afterEach(() => app.close());

  /** The chat window of a new user; `dialogs` gets every alert's text, and a prompt is answered with `answer`. */
  async function openChat(dialogs: string[] = [], answer = ''): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (dialog.type() === 'prompt' ? dialog.accept(answer) : dialog.dismiss());
    });
    await page.goto(`${simUrl}/?user=apis`);
    await page.getByText('Welcome').waitFor();
    return page;
  }

  const menuButton = (page: Page, name: string) => page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name });

  it('chooses and uploads a picture that media/get serves, previews it, locates the user where the panel says, scans a code', async () => {
    const dialogs: string[] = [];
    const page = await openChat(dialogs, 'https://example.com/qr/42');
    await page.getByRole('button', { name: 'Developer panel' }).click();
    await page.getByRole('spinbutton', { name: 'Latitude' }).fill('31.2304');
    await page.getByRole('spinbutton', { name: 'Longitude' }).fill('121.4737');
    await page.getByRole('spinbutton', { name: 'Longitude' }).press('Tab');
    await menuButton(page, 'APIs').click();
    const frame = page.frameLocator('#browser-frame');
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    // Before wx.ready, an API of jsApiList is not granted yet: WeChat's answer while it checks the config.
    expect(await frame.locator('#early').textContent()).to.equal('getLocation:the permission value is offline verifying');

    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), frame.getByRole('button', { name: 'choose' }).click()]);
    await chooser.setFiles({ name: 'tea.png', mimeType: 'image/png', buffer: PNG });
    const uploaded = (await frame.locator('#result', { hasText: /^uploaded / }).textContent())!;
    const served = (await api.getMedia(uploaded.slice('uploaded '.length))) as Buffer;
    expect(Buffer.compare(served, PNG)).to.equal(0);

    await frame.getByRole('button', { name: 'preview' }).click();
    const lightbox = page.getByRole('dialog', { name: 'Picture' });
    expect(await lightbox.getByRole('img').getAttribute('src')).to.equal(`http://localhost-${targetPort}.pages.localhost:${new URL(simUrl).port}/pic.png`);
    await lightbox.click();
    await lightbox.waitFor({ state: 'detached' });

    await frame.getByRole('button', { name: 'locate' }).click();
    await frame.locator('#result', { hasText: '31.2304,121.4737' }).waitFor();
    await frame.getByRole('button', { name: 'scan' }).click();
    await frame.locator('#result', { hasText: 'scanned https://example.com/qr/42' }).waitFor();
    expect(dialogs).to.have.length(1); // the scan's prompt, and no alert without debug
    // Outside jsApiList.
    await frame.getByRole('button', { name: 'map' }).click();
    await frame.locator('#result', { hasText: 'openLocation:permission denied' }).waitFor();
    const calls = page.getByRole('list', { name: 'Bridge calls' });
    await calls.getByText('uploadImage:ok', { exact: true }).waitFor();
    await calls.getByText('scanQRCode:ok', { exact: true }).waitFor();
    await page.context().close();
  });

  it('hides menu items and the More button, closes by closeWindow, and alerts each result with debug: true', async () => {
    const dialogs: string[] = [];
    const page = await openChat(dialogs);
    const frame = page.frameLocator('#browser-frame');
    await menuButton(page, 'APIs').click();
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    await frame.getByRole('button', { name: 'hide', exact: true }).click();
    await frame.locator('#result', { hasText: 'hideMenuItems:ok' }).waitFor();
    await page.getByRole('button', { name: 'More' }).click();
    const sheet = page.getByRole('dialog', { name: 'Share and more' });
    await sheet.getByRole('button', { name: 'Refresh' }).waitFor();
    expect(await sheet.getByRole('button', { name: 'Copy link' }).count()).to.equal(0);
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await frame.getByRole('button', { name: 'hide option' }).click();
    await frame.locator('#result', { hasText: 'hideOptionMenu:ok' }).waitFor();
    expect(await page.getByRole('button', { name: 'More' }).count()).to.equal(0);
    await frame.getByRole('button', { name: 'close' }).click();
    await page.locator('#browser').waitFor({ state: 'hidden' });
    expect(dialogs).to.deep.equal([]);

    await menuButton(page, 'Debug').click();
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    await frame.getByRole('button', { name: 'map' }).click();
    await frame.locator('#result', { hasText: 'openLocation:permission denied' }).waitFor();
    expect(dialogs.some((text) => text.includes('config:ok'))).to.equal(true);
    expect(dialogs.some((text) => text.includes('openLocation:permission denied'))).to.equal(true);
    await page.context().close();
  });

  it('goes Back within the page’s history, shows the progress bar while a page loads, and keeps links and forms to other origins inside', async () => {
    const page = await openChat();
    const frame = page.frameLocator('#browser-frame');
    const back = page.getByRole('button', { name: 'Back' });
    await menuButton(page, 'APIs').click();
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    expect(await back.isVisible()).to.equal(false);
    await frame.getByRole('link', { name: 'Second' }).click();
    await frame.locator('#second').waitFor();
    await page.locator('#browser-title', { hasText: `Second at localhost:${targetPort}` }).waitFor();
    await back.click();
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    await page.locator('#browser-title', { hasText: 'APIs' }).waitFor();
    await back.waitFor({ state: 'hidden' });

    // Another origin the server named (opened once from the menu): on its own pages host, inside the in-app browser.
    await page.getByRole('button', { name: 'Close' }).click();
    await menuButton(page, 'Pages').click();
    await page.getByRole('menuitem', { name: 'Other' }).click();
    await frame.locator('#second').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await menuButton(page, 'APIs').click();
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    await frame.getByRole('link', { name: 'Other origin' }).click();
    await page.locator('#browser-title', { hasText: `Second at 127.0.0.1:${targetPort}` }).waitFor();
    const pageFrame = () => page.frames().find((f) => f.parentFrame() === page.mainFrame())!;
    expect(new URL(pageFrame().url()).host).to.equal(`127-0-0-1-${targetPort}.pages.localhost:${new URL(simUrl).port}`);
    await back.click();
    await frame.locator('#out', { hasText: 'ready' }).waitFor();
    // A form posting to the page's original address: posted through its pages host.
    await frame.getByRole('button', { name: 'Order' }).click();
    await frame.locator('#ordered', { hasText: 'ordered tea' }).waitFor();
    expect(new URL(pageFrame().url()).host).to.equal(`localhost-${targetPort}.pages.localhost:${new URL(simUrl).port}`);
    await page.getByRole('button', { name: 'Close' }).click();

    const progress = page.getByRole('progressbar', { name: 'Loading' });
    await menuButton(page, 'Pages').click();
    await page.getByRole('menuitem', { name: 'Slow' }).click();
    await progress.waitFor();
    await until(() => slowAnswer !== undefined);
    expect(await progress.isVisible()).to.equal(true);
    slowAnswer!.type('html').send('<!doctype html><html><head><title>Slow</title></head><body><p id="slow">at last</p></body></html>');
    await frame.locator('#slow').waitFor();
    await progress.waitFor({ state: 'hidden' });
    await page.context().close();
  });
});

/** Waits until `ready` holds, checking every few milliseconds (the slow page's request has to arrive first). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 10));
}
