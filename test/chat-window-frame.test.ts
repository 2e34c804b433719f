// The window around the conversation (browser): whose account it shows in front of a server under test,
// where the developer panel stands, the favicon, and the bottom bar's keyboard-or-menu choice over reloads.
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { type App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { clientDir, readConfig } from '../server/config.ts';
import { loadContent } from '../server/content/load-content.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { remoteResponder } from '../server/wechat/remote-bot.ts';
import { browserFixture, typeText } from './chat-window-helpers.ts';
import { seedContent } from './helpers.ts';

type Box = { x: number; y: number; width: number; height: number };

const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (a: Box, viewport: { width: number; height: number }) => a.x >= 0 && a.y >= 0 && a.x + a.width <= viewport.width && a.y + a.height <= viewport.height;

describe('chat window: the frame around the conversation (browser)', function () {
  this.timeout(60_000);
  const fx = browserFixture();
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(errors.splice(0), 'errors in the page').to.deep.equal([]);
  });

  /** Opens the window at `path` in a fresh context with this viewport and waits for the welcome. */
  async function openAt(viewport: { width: number; height: number }, base = fx.url, path = '/'): Promise<Page> {
    const context = await fx.browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}${path}`);
    await page.getByRole('log').getByText(/^Welcome/).first().waitFor();
    return page;
  }

  /** The developer panel open on the JSON of a message, and where it, the phone and the conversation are. */
  async function openPanel(page: Page) {
    await typeText(page, 'hello');
    await page.getByRole('button', { name: 'Developer panel' }).click();
    await page.locator('.message.user .bubble', { hasText: 'hello' }).click();
    const panel = page.getByRole('complementary', { name: 'Developer panel' });
    await panel.getByLabel('Message JSON').getByText(/"text": "hello"/).waitFor();
    return { panel: (await panel.boundingBox())!, phone: (await page.locator('#phone').boundingBox())!, log: (await page.getByRole('log').boundingBox())! };
  }

  it('in front of a server under test, shows its account: "Test account" unless --name names it', async () => {
    const target = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, wechat: { token: 'tok' } });
    const targetUrl = await target.listen(0, '127.0.0.1');
    const started: App[] = [];
    try {
      for (const [argv, name] of [[[], 'Test account'], [['--name', 'Corner Shop'], 'Corner Shop']] as const) {
        const config = readConfig({}, ['--target', `${targetUrl}/wechat`, '--token', 'tok', ...argv]);
        const app = await openApp({ store: memoryStore(), content: loadContent(config), logger: silentLogger, clientDir, responder: remoteResponder(config.target!) });
        started.push(app);
        const page = await openAt({ width: 1000, height: 800 }, await app.listen(0, '127.0.0.1'));
        expect(await page.getByRole('heading', { level: 1 }).first().textContent()).to.equal(name);
        expect(await page.title()).to.equal(name);
        // The server under test's welcome, beside the initial of the account's own name.
        expect(await page.locator('.message.bot .avatar').first().textContent()).to.equal(name[0]);
      }
    } finally {
      await Promise.all([...started, target].map((app) => app.close()));
    }
  });

  it('shows the developer panel beside the phone on a wide screen, and over the conversation on a phone', async () => {
    const desktop = { width: 1280, height: 800 };
    const wide = await openPanel(await openAt(desktop));
    expect(overlap(wide.panel, wide.phone), 'the panel and the phone overlap').to.equal(false);
    expect(inside(wide.panel, desktop) && inside(wide.phone, desktop), 'both in view').to.equal(true);
    expect(wide.panel.width).to.be.at.least(360);
    expect(wide.log.height).to.be.at.least(500);

    const phone = await openAt({ width: 390, height: 844 });
    const narrow = await openPanel(phone);
    expect(overlap(narrow.panel, narrow.log), 'the panel covers the conversation').to.equal(true);
    expect(narrow.panel.width).to.equal(390);
    // It lies on top: what shows at its middle is the panel, not a message.
    const onTop = await phone.evaluate(({ x, y }) => Boolean(document.elementFromPoint(x, y)?.closest('#dev-panel')), { x: narrow.panel.x + narrow.panel.width / 2, y: narrow.panel.y + narrow.panel.height / 2 });
    expect(onTop).to.equal(true);
  });

  it('loads with no request that answers 404, its icon included', async () => {
    const context = await fx.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const statuses: string[] = [];
    page.on('response', (res) => statuses.push(`${res.status()} ${new URL(res.url()).pathname}`));
    await page.goto(fx.url);
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    // Browsers ask for the icon the page links, or /favicon.ico when it links none; headless Chromium may not ask at all.
    const icon = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel~="icon"]')?.href ?? new URL('/favicon.ico', location.href).href);
    const answer = await page.request.get(icon);
    statuses.push(`${answer.status()} ${new URL(icon).pathname}`);
    expect(statuses.filter((status) => status.startsWith('404'))).to.deep.equal([]);
    expect(answer.headers()['content-type']).to.match(/^image\//);
  });

  it('keeps the keyboard or the menu over a reload, as the user left it', async () => {
    const page = await fx.page('/');
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    const menu = page.getByRole('navigation', { name: 'Menu' });
    const message = page.getByRole('textbox', { name: 'Message' });
    expect(await menu.isVisible(), 'the menu first, as in WeChat').to.equal(true);

    await page.getByRole('button', { name: 'Show keyboard' }).click();
    await page.reload();
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    await message.waitFor();
    expect(await menu.isVisible()).to.equal(false);

    await page.getByRole('button', { name: 'Show menu' }).click();
    await page.reload();
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    await menu.waitFor();
    expect(await message.isVisible()).to.equal(false);
  });
});
