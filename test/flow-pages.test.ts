// Flows that open pages (this project's extension of Botium's format): a convo opens a node-webot `wechat` server's
// page in the in-app browser of the flow's chat window, in Chromium, and checks, clicks and fills it; a page that
// does not say what the flow expects fails with the page's text; page steps out of place are refused at load time;
// and the CLI plays such flows against a --target in-process.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import express from 'express';
import wechat from 'wechat';
import type { App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { clientDir } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { chromiumPath, launchChromium, SharedBrowser } from '../client/flows/chromium.ts';
import { FlowError } from '../client/flows/flow.ts';
import { loadFlows } from '../client/flows/load.ts';
import { parseConvo } from '../client/flows/parse.ts';
import { describeFailure } from '../client/flows/reporters.ts';
import { runFlows, type FlowResult } from '../client/flows/runner.ts';
import { openIdOf, remoteResponder } from '../server/wechat/remote-bot.ts';
import { seedContent, startServer, tempDir, type Running } from './helpers.ts';
import { oauthClient } from './pages-helpers.ts';

const APPID = 'wx_flow_pages';
const SECRET = 'flow-pages-secret';
const TOKEN = 'tok';
const root = path.resolve(import.meta.dirname, '..');

type SignedIn = { openid: string; nickname?: string; scope: string };

/**
 * The account's server: /wechat answers as node-webot's middleware, /shop is its page with a form, /order its answer;
 * /login sends the browser to the authorize URL wechat-oauth builds (pointed at `simulator`), whose /callback shows
 * who signed in and keeps it in `signedIn`.
 */
async function shopServer(simulator: () => string = () => ''): Promise<{ origin: string; signedIn: SignedIn[]; close: () => Promise<void> }> {
  const site = express();
  let origin = '';
  const signedIn: SignedIn[] = [];
  const oauth = oauthClient(simulator, SECRET, APPID);
  const getAccessToken = promisify(oauth.getAccessToken.bind(oauth));
  const getUser = promisify(oauth.getUser.bind(oauth));
  site.get('/login', (req, res) => res.redirect(oauth.getAuthorizeURL(`${origin}/callback`, 'shop', String(req.query.scope ?? 'snsapi_userinfo'))));
  site.get('/callback', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!req.query.code) return res.type('html').send('<!doctype html><title>Shop</title><p>You said no: browsing as a guest.</p>');
    try {
      const token = await getAccessToken(String(req.query.code));
      const { openid, scope } = token.data;
      const user = scope === 'snsapi_userinfo' ? await getUser(openid) : { openid };
      signedIn.push({ openid, scope, ...(user.nickname ? { nickname: user.nickname } : {}) });
      res.type('html').send(`<!doctype html><title>Shop</title><p>Signed in (${scope}) as ${String(user.nickname ?? 'a guest').replace(/[<&]/g, '')}.</p>`);
    } catch (err) {
      res.type('html').send(`<!doctype html><title>Shop</title><p>Login failed: errcode ${(err as { code?: number }).code}</p>`);
    }
  });
  site.use(
    '/wechat',
    wechat(TOKEN, (req: { weixin: Record<string, string> }, res: { reply: (content: unknown) => void }) => {
      const { MsgType, Content } = req.weixin;
      if (MsgType === 'event') return res.reply('Welcome to the shop');
      if (Content === 'shop') return res.reply(`Our shop: ${origin}/shop.`);
      if (Content === 'sale') return res.reply([{ title: 'Spring sale', description: 'Half price', picurl: '', url: `${origin}/shop?sale=1` }]);
      res.reply(`you said ${Content}`);
    }),
  );
  site.get('/shop', (req, res) =>
    res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body>
<h1>${req.query.sale ? 'Spring sale' : 'The shop'}</h1><p id="where">…</p>
<form method="post" action="/order"><label>Your name <input name="name"></label><button type="submit">Order</button></form>
<script>
// Written by the page's script, after load: the runner waits for it.
setTimeout(function () { document.getElementById('where').textContent = /MicroMessenger/.test(navigator.userAgent) ? 'Opened in WeChat' : 'Opened elsewhere'; }, 50);
</script></body></html>`),
  );
  // A page that never finishes loading: its document stays in readyState "loading" (enough bytes for Chromium to show it).
  site.get('/never', (_req, res) => void res.type('html').write(`<!doctype html><title>Never</title><p>Still coming${' '.repeat(4096)}`));
  site.post('/order', express.urlencoded({ extended: false }), (req, res) => res.type('html').send(`<!doctype html><title>Order</title><p>Thank you, ${String(req.body.name).replace(/[<&]/g, '')}: order A-1 is on its way.</p>`));
  const server: Server = createServer(site);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  // localhost, as the in-app browser serves it (the target's own origin is always served).
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    signedIn,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs the flows CLI (as `npm run flows`) without blocking this process, which serves the target. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/flows/cli.ts', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let tmp = '';
let cases = 0;

function writeFile(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** Why loadFlows refuses a convo file (the whole-flow rules are checked there, once partial flows are in). */
function loadError(convo: string): FlowError {
  const dir = path.join(tmp, `case-${cases++}`);
  writeFile(path.join(dir, 'pages.convo.txt'), convo);
  try {
    loadFlows([dir]);
  } catch (err) {
    expect(err).to.be.instanceOf(FlowError);
    return err as FlowError;
  }
  return expect.fail('the flow should have been refused');
}

describe('flows that open pages', function () {
  // A server, a simulator and Chromium pages: room on a loaded machine, not a measure of speed.
  this.timeout(60_000);
  let removeTmp: () => Promise<void>;
  before(async () => {
    const made = await tempDir();
    tmp = made.dir;
    removeTmp = made.remove;
  });
  after(() => removeTmp());

  describe('parsing', () => {
    it('reads OPEN [URL] with DENY, CLICK, FILL label|value and CLOSE under #me', () => {
      const flow = parseConvo('F\n#me\nOPEN https://shop.example/a\nDENY\n#bot\nWelcome\n#me\nFILL Your name|Alice Smith\nCLICK Order\n#me\nCLOSE\n#me\nOPEN\n', 'f.convo.txt');
      expect(flow.steps.map((s) => s.kind)).to.deep.equal(['open', 'expect', 'fill', 'click', 'close', 'open']);
      expect(flow.steps[0]).to.deep.include({ url: 'https://shop.example/a', consent: 'deny' });
      expect(flow.steps[2]).to.deep.include({ label: 'Your name', value: 'Alice Smith' });
      expect(flow.steps[3]).to.deep.include({ name: 'Order' });
      expect(flow.steps[5]).to.deep.include({ consent: 'allow' }).and.not.have.property('url');
    });

    it('refuses page steps it cannot play, with file:line', () => {
      expect(loadError('F\n#me\nOPEN shop.html\n').message).to.match(/pages\.convo\.txt:3: OPEN takes an http\(s\) URL/);
      expect(loadError('F\n#me\nhello\nOPEN https://shop.example/\n').message).to.match(/:4: a #me section either sends the chat a message or acts on a page/);
      expect(loadError('F\n#me\nDENY\n').message).to.match(/:3: DENY goes once with the OPEN of its #me section/);
      expect(loadError('F\n#me\nFILL Name\n').message).to.match(/:3: FILL needs a field's label and the value/);
      expect(loadError('F\n#bot\nCLICK Order\n').message).to.match(/:3: CLICK acts on a page; put it under #me/);
      expect(loadError('F\n#me\nCLICK Order\n').message).to.match(/:3: CLICK needs an open page: OPEN one first/);
      expect(loadError('F\n#me\nOPEN https://shop.example/\n#me\nhello\n').message).to.match(/:5: a page is open \(OPEN at .*pages\.convo\.txt:3\) and covers the chat: CLOSE it/);
      expect(loadError('F\n#me\nOPEN https://shop.example/\n#bot\nCARDS Sale\n').message).to.match(/:5: CARDS checks a bot message, but a page is open/);
    });
  });

  describe('launching Chromium', () => {
    let server: Running;
    before(async () => {
      server = await startServer();
    });
    after(() => server.close());

    it('only for a flow that opens a page, and says what to install when Chromium is missing', async () => {
      let launches = 0;
      const browser = new SharedBrowser(() => {
        launches++;
        return launchChromium(path.join(tmp, 'no-chromium-here'));
      });
      const [chat] = await runFlows([parseConvo('Chat\n#me\nhelp\n#bot\n*\n', 'chat.convo.txt')], { url: server.url, browser });
      if (!chat!.passed) expect.fail(describeFailure(chat!));
      expect(launches).to.equal(0);
      const [page] = await runFlows([parseConvo('Page\n#me\nOPEN https://shop.example/\n', 'page.convo.txt')], { url: server.url, browser });
      expect(launches).to.equal(1);
      expect(page!.failure).to.deep.include({ what: 'open', step: 1 });
      expect(page!.failure!.actual).to.equal(`flows that OPEN pages need Chromium at ${path.join(tmp, 'no-chromium-here')}: apt-get install chromium, or set CHROMIUM_PATH to a Chromium or Chrome`);
      await browser.close();
    });
  });

  describe('in Chromium, against a node-webot server', () => {
    let shop: Awaited<ReturnType<typeof shopServer>>;
    let app: App;
    let simUrl = '';
    let browser: SharedBrowser;

    before(async function () {
      if (!existsSync(chromiumPath())) {
        if (process.env.CI) throw new Error(`Chromium not found at ${chromiumPath()}`);
        this.skip();
      }
      shop = await shopServer(() => simUrl);
      const target = { url: `${shop.origin}/wechat`, token: TOKEN };
      app = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, clientDir, responder: remoteResponder(target), platform: { appId: APPID, secret: SECRET, target } });
      simUrl = await app.listen(0, '127.0.0.1');
      browser = new SharedBrowser();
    });
    after(async () => {
      await browser?.close();
      await app?.close();
      await shop?.close();
    });

    /** Plays a convo; `timeoutMs` short for a flow meant to fail, which waits that long for what never comes. */
    async function play(convo: string, timeoutMs = 10_000): Promise<FlowResult> {
      const [result] = await runFlows([parseConvo(convo, path.join(tmp, 'shop.convo.txt'))], { url: simUrl, timeoutMs, browser });
      return result!;
    }

    it('opens a page, checks its text as its scripts write it, fills and submits its form, closes it and chats on', async () => {
      const result = await play(`Shop page
#me
OPEN ${shop.origin}/shop
#bot
The shop
#bot
Opened in WeChat
TEXT_CONTAINS_ALL Your name|Order
#me
FILL Your name|Alice
CLICK Order
#bot
Thank you, Alice: order *
#me
CLOSE
#me
hello
#bot
you said hello
`);
      if (!result.passed) expect.fail(describeFailure(result));
    });

    it('OPEN alone opens the link of the message the last #bot took: a URL in a text, a news card', async () => {
      const result = await play(`Links
#me
shop
#bot
Our shop: *
#me
OPEN
#bot
The shop
#me
CLOSE
#me
sale
#bot
#me
OPEN
#bot
Spring sale
`);
      if (!result.passed) expect.fail(describeFailure(result));
    });

    it('signs in as the flow\'s user: snsapi_base at once, snsapi_userinfo through the consent sheet (Allow, or Deny when the flow says so)', async () => {
      shop.signedIn.length = 0;
      const result = await play(`Sign in
#me
hi
#bot
you said hi
#me
OPEN ${shop.origin}/login?scope=snsapi_base
#bot
Signed in (snsapi_base) as a guest
#me
OPEN ${shop.origin}/login
#bot
Signed in (snsapi_userinfo) as *
#me
OPEN ${shop.origin}/login
DENY
#bot
You said no
`);
      if (!result.passed) expect.fail(describeFailure(result));
      // The openid the page's server got is the one the flow's user has in pushes; the nickname is that user's.
      const openid = openIdOf(result.transcript[0]!.userId);
      expect(shop.signedIn.map((s) => s.scope)).to.deep.equal(['snsapi_base', 'snsapi_userinfo']);
      expect(shop.signedIn.map((s) => s.openid)).to.deep.equal([openid, openid]);
      const { nickname } = await app.platform.profiles.get(result.transcript[0]!.userId, simUrl);
      expect(shop.signedIn[1]!.nickname).to.equal(nickname);
    });

    it('fails with the page text when the page does not say it, and names what it could not click or open', async () => {
      const wrong = await play(`Wrong\n#me\nOPEN ${shop.origin}/shop\n#bot\nSold out\n`, 5000);
      expect(wrong.passed).to.equal(false);
      expect(wrong.failure).to.deep.include({ what: 'page text', expected: 'Sold out' });
      expect(wrong.failure!.actual).to.equal(`page ${shop.origin}/shop: The shop / Opened in WeChat / Your name Order`);
      expect(wrong.failure!.at.line).to.equal(5);
      expect(describeFailure(wrong)).to.include('+ actual:   page ').and.include('Opened in WeChat');

      const button = await play(`No button\n#me\nOPEN ${shop.origin}/shop\nCLICK Pay now\n`, 5000);
      expect(button.failure).to.deep.include({ what: 'click', expected: 'a link or button "Pay now"' });
      expect(button.failure!.actual).to.include('The shop');

      // Neither the target nor named by it: the in-app browser refuses, and says so.
      const elsewhere = await play('Elsewhere\n#me\nOPEN https://elsewhere.example/\n');
      expect(elsewhere.failure).to.deep.include({ what: 'open', expected: 'the page https://elsewhere.example/' });
      expect(elsewhere.failure!.actual).to.match(/^the in-app browser says: .*is neither the server under test nor named/);

      // A page that never loads: the report says what the in-app browser had instead.
      const never = await play(`Never\n#me\nOPEN ${shop.origin}/never\n`, 2000);
      expect(never.failure).to.deep.include({ what: 'open', expected: `the page ${shop.origin}/never` });
      // Chromium may not have committed the navigation yet (the frame still at about:blank): where it was sent is named either way.
      expect(never.failure!.actual).to.match(/^\(nothing loaded within 2000 ms: the frame at (about:blank, sent to )?http:\/\/localhost:\d+\/never\)$/);
      expect(never.failure!.actual).to.include(`${shop.origin}/never`);

      const noLink = await play('No link\n#me\nhello\n#bot\nyou said hello\n#me\nOPEN\n');
      expect(noLink.failure).to.deep.include({ what: 'open', actual: 'you said hello' });
    });
  });

  describe('the CLI with --target, in-process', () => {
    let shop: Awaited<ReturnType<typeof shopServer>>;
    before(async function () {
      if (!existsSync(chromiumPath())) {
        if (process.env.CI) throw new Error(`Chromium not found at ${chromiumPath()}`);
        this.skip();
      }
      shop = await shopServer();
    });
    after(() => shop?.close());

    it('plays page flows against the target: exit 0 when they pass, 1 with the page text when one fails', async () => {
      const dir = path.join(tmp, 'cli');
      writeFile(path.join(dir, 'good', 'shop.convo.txt'), `Shop\n#me\nshop\n#bot\nOur shop*\n#me\nOPEN\n#bot\nOpened in WeChat\n`);
      writeFile(path.join(dir, 'bad', 'shop.convo.txt'), `Sold out\n#me\nOPEN ${shop.origin}/shop\n#bot\nSold out\n`);
      const target = ['--target', `${shop.origin}/wechat`, '--token', TOKEN];
      const good = await cli(...target, path.join(dir, 'good'));
      expect(good.status, good.stdout + good.stderr).to.equal(0);
      expect(good.stdout).to.include('✓ Shop').and.include('1 passing, 0 failing');
      const bad = await cli(...target, '--timeout', '5000', path.join(dir, 'bad'));
      expect(bad.status, bad.stdout + bad.stderr).to.equal(1);
      expect(bad.stdout).to.include('step 2').and.include('page text').and.include(`page ${shop.origin}/shop: The shop / Opened in WeChat`);
    });
  });
});
