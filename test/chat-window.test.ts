// End-to-end: the chat window in a real browser against the real server.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openApp } from '../server/app/start.ts';
import { clientDir } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import type { Responder } from '../server/core/chat-service.ts';
import { remoteResponder } from '../server/wechat/remote-bot.ts';
import { launchBrowser } from './browser.ts';
import { http, seedContent, tempDir } from './helpers.ts';
import { loadFlows } from '../client/flows/load.ts';
import { runFlows } from '../client/flows/runner.ts';
import { describeFailure } from '../client/flows/reporters.ts';

async function startWithClient(store: ChatStore, port = 0, responder?: Responder) {
  const app = await openApp({ store, content: seedContent(), logger: silentLogger, clientDir, responder });
  const url = await app.listen(port, '127.0.0.1');
  return { app, url, port: Number(new URL(url).port) };
}

describe('chat window (browser)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let store: ChatStore;
  let server: Awaited<ReturnType<typeof startWithClient>>;
  let context: BrowserContext;
  let errors: string[];

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(() => browser?.close());

  beforeEach(async () => {
    store = memoryStore();
    server = await startWithClient(store);
    context = await browser!.newContext({ viewport: { width: 1000, height: 800 } });
    errors = [];
  });
  afterEach(async () => {
    await context.close();
    await server.app.close();
    expect(errors, 'errors in the page').to.deep.equal([]);
  });

  async function open(path = '/', page?: Page): Promise<Page> {
    const p = page ?? (await context.newPage());
    p.on('pageerror', (err) => errors.push(err.message));
    await p.goto(`${server.url}${path}`);
    await p.getByRole('log').getByText(/^Welcome to WeChat Business Watch/).first().waitFor();
    return p;
  }

  async function type(page: Page, text: string): Promise<void> {
    const keyboard = page.getByRole('button', { name: 'Show keyboard' });
    if (await keyboard.isVisible()) await keyboard.click();
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  const bubbles = (page: Page) => page.locator('#log .message .bubble');

  it('greets a new user, with the account name and the menu', async () => {
    const page = await open();
    await expect(await page.getByRole('heading', { level: 1 }).first().textContent()).to.equal('WeChat Business Watch');
    const welcome = await page.getByRole('log').getByText(/^Welcome/).textContent();
    expect(welcome).to.include('2. Activate Mobile Payment');
    const menu = page.getByRole('navigation', { name: 'Menu' });
    expect(await menu.getByRole('button').allTextContents()).to.deep.equal(['Article', 'Topics', 'Help']);
    const userId = await page.evaluate(() => localStorage.getItem('oa-sim.userId'));
    expect(userId).to.match(/^[A-Za-z0-9_-]+$/);
  });

  it('answers a keyword with a news card that opens the section page, and Back returns to the same place', async () => {
    const page = await open();
    for (const text of ['1', '2', 'help']) await type(page, text); // enough to scroll
    await type(page, '支付');
    const card = page.getByRole('link', { name: /Activate Mobile Payment/ });
    await card.waitFor();
    const log = page.getByRole('log');
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight / 3));
    const scrollBefore = await log.evaluate((el) => el.scrollTop);
    await card.dispatchEvent('click'); // a tap where the card is, without scrolling to it first
    await page.getByRole('heading', { name: 'Activate Mobile Payment' }).waitFor();
    expect(new URL(page.url()).hash).to.equal('#/sections/payment');
    expect(await page.locator('#section-text').textContent()).to.include('WeChat Pay');
    await page.getByRole('button', { name: 'Back' }).click();
    await page.locator('#section-page').waitFor({ state: 'hidden' });
    expect(new URL(page.url()).hash).to.equal('');
    expect(await log.evaluate((el) => el.scrollTop)).to.equal(scrollBefore);
    // The browser's own back button does the same.
    await card.dispatchEvent('click');
    await page.getByRole('button', { name: 'Back' }).waitFor();
    await page.goBack();
    await page.locator('#section-page').waitFor({ state: 'hidden' });
    expect(await log.evaluate((el) => el.scrollTop)).to.equal(scrollBefore);
  });

  it('opens a section page from its own URL', async () => {
    const page = await open('/#/sections/games');
    await page.getByRole('heading', { name: 'Promoting the development of mobile games' }).waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.locator('#section-page').waitFor({ state: 'hidden' });
  });

  it('shows a section in the in-app browser’s chrome: Close, and More with Copy link, Send to chat and Refresh', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await open();
    await type(page, '支付');
    await page.getByRole('link', { name: /Activate Mobile Payment/ }).click();
    const chrome = page.getByRole('region', { name: 'WeChat Business Watch' });
    await chrome.getByRole('heading', { name: 'Activate Mobile Payment' }).waitFor();
    await chrome.getByRole('button', { name: 'More' }).click();
    const sheet = page.getByRole('dialog', { name: 'Share and more' });
    await sheet.getByText('Activate Mobile Payment').waitFor();
    await sheet.getByRole('button', { name: 'Copy link' }).click();
    await chrome.getByText('Link copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(`${server.url}/#/sections/payment`);
    await chrome.getByRole('button', { name: 'More' }).click();
    await sheet.getByRole('button', { name: 'Refresh' }).click();
    await chrome.getByRole('heading', { name: 'Activate Mobile Payment' }).waitFor();
    await chrome.getByRole('button', { name: 'More' }).click();
    await sheet.getByRole('button', { name: 'Send to chat' }).click();
    await chrome.getByRole('button', { name: 'Close' }).click();
    await page.locator('#section-page').waitFor({ state: 'hidden' });
    expect(new URL(page.url()).hash).to.equal('');
    // Shared as a link message, drawn as WeChat's link card, that opens the section again.
    const card = page.locator('.message.user .link-card', { hasText: 'Activate Mobile Payment' });
    await card.waitFor();
    expect(await card.getAttribute('href')).to.equal(`${server.url}/#/sections/payment`);
  });

  it('sends a menu click from a pop-up item and shows the reply', async () => {
    const page = await open();
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Topics' }).click();
    const item = page.getByRole('menuitem', { name: 'Mobile games' });
    await item.waitFor();
    expect(await page.getByRole('menuitem').count()).to.equal(3);
    await item.click();
    await page.getByRole('link', { name: /Promoting the development of mobile games/ }).waitFor();
    await expect(await page.getByRole('menuitem').count()).to.equal(0); // the pop-up closed
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Help' }).click();
    await page.getByRole('log').getByText(/^How to use/).waitFor();
  });

  it('works from the keyboard: Enter sends, Shift+Enter makes a new line, the menu opens with Enter', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Show keyboard' }).focus();
    await page.keyboard.press('Enter');
    const box = page.getByRole('textbox', { name: 'Message' });
    expect(await box.evaluate((el) => el === document.activeElement)).to.equal(true);
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    await page.locator('.message.user .bubble', { hasText: 'first line' }).waitFor();
    expect(await page.locator('.message.user .bubble').last().textContent()).to.equal('first line\nsecond line');
    await page.getByRole('button', { name: 'Show menu' }).click();
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Article' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('menuitem', { name: 'Contents' }).evaluate((el) => el === document.activeElement)).to.equal(true);
    await page.keyboard.press('Enter');
    await page.getByRole('log').getByText(/^"Tencent sets up/).waitFor();
  });

  it('keeps the history over a reload and scrolls to the newest message', async () => {
    const page = await open();
    for (const text of ['2', '3', '4']) await type(page, text);
    await page.getByRole('log').getByText(/^4\. Promoting/).waitFor();
    const before = await bubbles(page).allTextContents();
    await page.reload();
    await page.getByRole('log').getByText(/^4\. Promoting/).waitFor();
    expect(await bubbles(page).allTextContents()).to.deep.equal(before);
    const atEnd = await page.getByRole('log').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);
    expect(atEnd).to.equal(true);
  });

  it('keeps two tabs of the same user in sync', async () => {
    const first = await open();
    const second = await open();
    await type(first, 'games');
    await second.getByRole('link', { name: /mobile games/ }).waitFor();
    expect(await second.locator('.message.user .bubble').allTextContents()).to.deep.equal(['games']);
    await type(second, 'list');
    await first.getByRole('log').getByText(/^"Tencent sets up/).waitFor();
  });

  it('opens the window as a given user with ?user=ID', async () => {
    await http(`${server.url}/api/messages`, 'POST', { userId: 'tester-7', type: 'text', text: 'outlook' });
    const page = await context.newPage();
    await page.goto(`${server.url}/?user=tester-7`);
    await page.getByRole('link', { name: /Outlook/ }).waitFor();
    expect(await page.locator('.message.user .bubble').allTextContents()).to.deep.equal(['outlook']);
  });

  it('queues messages typed while offline, shows them pending, and delivers each once on reconnect', async () => {
    const page = await open('/?user=offline-user');
    const port = server.port;
    await server.app.close();
    await page.locator('#banner', { hasText: 'Connection lost' }).waitFor();
    await type(page, 'games');
    await type(page, 'payment');
    await page.locator('.message.user.pending').nth(1).waitFor();
    expect(await page.locator('.message.user.pending .bubble').allTextContents()).to.deep.equal(['games', 'payment']);

    server = await startWithClient(store, port);
    await page.locator('#banner', { hasText: 'Connected again' }).waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: /Activate Mobile Payment/ }).waitFor();
    expect(await page.locator('.message.user.pending').count()).to.equal(0);
    const history = await http(`${server.url}/api/messages?userId=offline-user`, 'GET');
    const texts = history.body.messages.filter((m: { from: string }) => m.from === 'user').map((m: { text: string }) => m.text);
    expect(texts).to.deep.equal(['games', 'payment']);
    expect(await page.locator('.message.user .bubble').allTextContents()).to.deep.equal(['games', 'payment']);
  });

  it('shows a refused message with the error and a retry', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Show keyboard' }).click();
    // The text box stops at 2000 characters; a script can still try, and the server says no.
    await page.getByRole('textbox', { name: 'Message' }).evaluate((el: HTMLTextAreaElement) => (el.value = 'x'.repeat(2001)));
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.message.failed').getByText(/Not sent: text: must be at most 2000 characters/).waitFor();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.message.failed .retry').waitFor();
    expect(await page.locator('.message.failed').count()).to.equal(1);
  });

  it('shows HTML in messages as text and never runs it', async () => {
    const page = await open();
    const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script>';
    await type(page, hostile);
    await page.locator('.message.user .bubble', { hasText: '<b>bold</b>' }).waitFor();
    expect(await page.locator('.message.user .bubble').last().textContent()).to.equal(hostile);
    expect(await page.locator('#log b, #log img[src="x"], #log script').count()).to.equal(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
    const res = await fetch(server.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.match(/script-src 'self'(;|$)/);
    expect(csp).not.to.include('unsafe-inline\'; script');
  });

  it('fits a 360 px phone screen with no horizontal scrolling', async () => {
    const phone = await browser!.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(server.url);
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    await type(page, 'https://example.com/' + 'averyveryverylongwordwithoutanyspaces'.repeat(5));
    await type(page, '3');
    await page.getByRole('log').getByText(/^3\. Open up/).waitFor();
    const { scrollWidth, width } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth }));
    expect(scrollWidth).to.be.at.most(width);
    const phoneBox = await page.locator('#phone').boundingBox();
    expect(phoneBox!.width).to.equal(360);
    // The composer's buttons (attach a picture, Send) fit beside the text box.
    const send = await page.getByRole('button', { name: 'Send', exact: true }).boundingBox();
    expect(send!.x + send!.width).to.be.at.most(360);
    await phone.close();
  });

  it('has a developer panel: raw JSON of a message, New user, Restart', async () => {
    const page = await open();
    await type(page, 'hello');
    await page.locator('.message.user .bubble', { hasText: 'hello' }).waitFor();
    const firstUser = await page.evaluate(() => localStorage.getItem('oa-sim.userId'));
    await page.getByRole('button', { name: 'Developer panel' }).click();
    expect(await page.locator('#dev-user').textContent()).to.equal(firstUser);
    await page.locator('.message.user .bubble', { hasText: 'hello' }).click();
    const json = JSON.parse((await page.locator('#dev-json').textContent())!);
    expect(json).to.include({ type: 'text', text: 'hello', from: 'user', userId: firstUser });

    await page.getByRole('button', { name: 'Restart' }).click();
    expect(await bubbles(page).count()).to.equal(0);
    expect(await page.evaluate(() => localStorage.getItem('oa-sim.userId'))).to.equal(firstUser);

    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    await page.waitForFunction((old) => localStorage.getItem('oa-sim.userId') !== old, firstUser);
    const secondUser = await page.evaluate(() => localStorage.getItem('oa-sim.userId'));
    expect(await page.locator('#dev-user').textContent()).to.equal(secondUser);
    expect(await bubbles(page).allTextContents()).to.have.length(1);
  });

  it('exports the conversation as a flow that replays green', async () => {
    const page = await open();
    await type(page, 'payment');
    await page.getByRole('link', { name: /Activate Mobile Payment/ }).waitFor();
    await type(page, '3');
    await type(page, 'more');
    await page.getByRole('log').getByText(/\(2\/2\) End of/).waitFor();
    await page.getByRole('button', { name: 'Show menu' }).click();
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Topics' }).click();
    await page.getByRole('menuitem', { name: 'Mobile games' }).click();
    await page.getByRole('link', { name: /mobile games/ }).waitFor();
    await type(page, 'xyzzy');
    await page.getByRole('log').getByText(/^Sorry, I found nothing/).waitFor();

    await page.getByRole('button', { name: 'Developer panel' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as flow' }).click()]);
    expect(download.suggestedFilename()).to.match(/\.convo\.txt$/);
    const tmp = await tempDir();
    const file = path.join(tmp.dir, download.suggestedFilename());
    await download.saveAs(file);
    const convo = readFileSync(file, 'utf8');
    expect(convo).to.match(/^Recorded conversation of /);
    expect(convo).to.include('#me\nBUTTON section:games').and.include('CARDS Activate Mobile Payment');

    const { flows, utterances } = loadFlows([file]);
    const [result] = await runFlows(flows, { url: server.url, utterances });
    if (!result!.passed) expect.fail(describeFailure(result!));
    expect(result!.transcript.filter((m) => m.from === 'bot')).to.have.length(6); // the welcome and five replies
    await tmp.remove();
  });

  it('in front of another server, shows its replies and the raw XML sent and received', async () => {
    const target = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, wechat: { token: 'tok' } });
    const targetUrl = await target.listen(0, '127.0.0.1');
    await server.app.close();
    server = await startWithClient(store, 0, remoteResponder({ url: `${targetUrl}/wechat`, token: 'tok' }));
    const page = await open();
    await type(page, 'games');
    const card = page.getByRole('link', { name: /Promoting the development of mobile games/ });
    await card.waitFor();
    expect(await card.getAttribute('href')).to.equal(`${targetUrl}/#/sections/games`);
    await page.getByRole('button', { name: 'Developer panel' }).click();
    await page.locator('.message.user .bubble', { hasText: 'games' }).click();
    const shown = (await page.locator('#dev-json').textContent())!;
    expect(shown).to.include(`XML sent to ${targetUrl}/wechat`).and.include('<MsgType><![CDATA[text]]></MsgType>').and.include('<Content><![CDATA[games]]></Content>');
    expect(shown).to.match(/attempt 1: HTTP 200 in \d+ ms/);
    expect(shown).to.include('<MsgType><![CDATA[news]]></MsgType>');
    await target.close();
  });

  it('serves hashed assets with long-lived caching and the page with revalidation', async () => {
    const page = await fetch(server.url);
    expect(page.headers.get('cache-control')).to.equal('no-cache');
    const asset = /\/assets\/(app-[A-Z0-9]+\.js)/.exec(await page.text())![1];
    const res = await fetch(`${server.url}/assets/${asset}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.include('immutable').and.include('max-age=31536000');
  });
});
