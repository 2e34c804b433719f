// Shared setup for the browser tests of the chat window: the real server with the built client, a page per test.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import type { Responder } from '../server/core/chat-service.ts';
import { clientDir } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryStore, type LowStore } from '../server/store/low-store.ts';
import { launchBrowser } from './browser.ts';
import { seedContent } from './helpers.ts';

export type BrowserFixture = {
  readonly app: App;
  readonly url: string;
  readonly store: ChatStore;
  readonly context: BrowserContext;
  readonly browser: Browser;
  /** Opens a page (errors in it fail the test) at `path`, without waiting for anything. */
  page: (path?: string) => Promise<Page>;
};

/** A browser for the describe block and, for each test, a fresh server (answering with `responder` when given) and context. */
export function browserFixture(responder?: () => Responder): BrowserFixture {
  let browser: Browser | undefined;
  let app: App;
  let url: string;
  let store: ChatStore;
  let context: BrowserContext;
  let errors: string[] = [];
  before(async function () {
    browser = await launchBrowser(this);
  });
  after(() => browser?.close());
  beforeEach(async () => {
    store = memoryStore();
    app = await openApp({ store, content: seedContent(), logger: silentLogger, clientDir, responder: responder?.() });
    url = await app.listen(0, '127.0.0.1');
    context = await browser!.newContext({ viewport: { width: 1000, height: 800 } });
    errors = [];
  });
  afterEach(async () => {
    await context.close();
    await app.close();
    if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`);
  });
  return {
    get app() {
      return app;
    },
    get url() {
      return url;
    },
    get store() {
      return store;
    },
    get context() {
      return context;
    },
    get browser() {
      return browser!;
    },
    async page(path = '/') {
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${url}${path}`);
      return page;
    },
  };
}

/** Types and sends a text, opening the keyboard first when the menu shows. */
export async function typeText(page: Page, text: string): Promise<void> {
  const keyboard = page.getByRole('button', { name: 'Show keyboard' });
  if (await keyboard.isVisible()) await keyboard.click();
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}
