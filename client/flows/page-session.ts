// One flow's pages: the chat window of the flow's user in headless Chromium, whose in-app browser opens each page as a
// tap does (POST /api/pages, then the page on its pages host with the bridge, WeChat's user agent and web
// authorization as that user). Page steps act through the window's own controls, found by role and name.
import type { BrowserContext, Frame, FrameLocator, Locator, Page } from 'playwright-core';
import { originOfLabel } from '../../server/pages/page-hosts.ts';
import type { SharedBrowser } from './chromium.ts';
import { checkPage, showPage, type Mismatch, type PageText } from './expectations.ts';
import type { Step, Utterances } from './flow.ts';

/** How often a waiting page step looks again: pages change as their scripts run. */
const POLL_MS = 100;
/** How long a press inside a poll may wait for its button to be ready (the next poll looks again). */
const PRESS_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a page step could not do, for the flow's failure: what was expected, and what the window showed. */
export type PageProblem = { expected: string; actual: string };

export class PageSession {
  private consent: 'allow' | 'deny' = 'allow';

  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
    private readonly timeoutMs: number,
  ) {}

  /** Opens the chat window of `userId` at the simulator `url`, and waits until it is connected as that user. */
  static async start(browser: SharedBrowser, url: string, userId: string, timeoutMs: number): Promise<PageSession> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const chat = new URL(`/?user=${encodeURIComponent(userId)}`, url);
      const response = await page.goto(chat.href, { timeout: timeoutMs });
      if (!response?.ok()) throw new Error(`the chat window at ${chat.href} answered HTTP ${response?.status()} (without --url, build it first: npm run build)`);
      // The window names its user once the server's `ready` came; before that it cannot open a page as anyone.
      await page.locator('#dev-user', { hasText: userId }).waitFor({ state: 'attached', timeout: timeoutMs });
      return new PageSession(context, page, timeoutMs);
    } catch (err) {
      await context.close();
      throw err;
    }
  }

  /** Opens `url` in the in-app browser as a tap on a link in the chat does; says why not when the window refuses it. */
  async open(url: string, consent: 'allow' | 'deny'): Promise<PageProblem | undefined> {
    this.consent = consent;
    // A link in the conversation, tapped: the window's own path to the in-app browser, nothing added for flows.
    await this.page.evaluate((href) => {
      const link = Object.assign(document.createElement('a'), { href });
      document.getElementById('log')!.append(link);
      link.click();
      link.remove();
    }, url);
    const notice = this.page.locator('#browser').getByRole('status');
    const shown = await this.poll(async () => {
      if (await notice.isVisible()) return { refused: (await notice.textContent()) ?? '' };
      return (await this.read()) ? { refused: undefined } : undefined;
    });
    if (!shown) return { expected: `the page ${url}`, actual: await this.nothingLoaded() };
    return shown.refused === undefined ? undefined : { expected: `the page ${url}`, actual: `the in-app browser says: ${shown.refused}` };
  }

  /** Waits until the page's text satisfies a #bot step (answering a consent sheet on the way); the mismatch at the deadline otherwise. */
  async expect(step: Extract<Step, { kind: 'expect' }>, utterances: Map<string, Utterances>): Promise<Mismatch | undefined> {
    let last: Mismatch | undefined;
    const matched = await this.poll(async () => {
      const page = await this.read();
      if (!page) return undefined;
      last = checkPage(step, page, utterances);
      return last ? undefined : true;
    });
    if (matched) return undefined;
    return last ?? { what: 'a page', expected: 'the page to load', actual: await this.nothingLoaded(), at: step.at };
  }

  /** Clicks the link or button of that name (its exact name if there is one, else one whose name contains it). */
  async click(name: string): Promise<PageProblem | undefined> {
    const frame = this.frame();
    const clicked = await this.poll(async () => {
      const target = await firstOf(
        frame.getByRole('link', { name, exact: true }).or(frame.getByRole('button', { name, exact: true })),
        frame.getByRole('link', { name }).or(frame.getByRole('button', { name })),
      );
      if (!target) return undefined;
      await target.click({ timeout: this.timeoutMs });
      return true;
    });
    return clicked ? undefined : { expected: `a link or button "${name}"`, actual: await this.shown() };
  }

  /** Types `value` into the field of that label (exact if there is one, else containing it). */
  async fill(label: string, value: string): Promise<PageProblem | undefined> {
    const frame = this.frame();
    const filled = await this.poll(async () => {
      const field = await firstOf(frame.getByLabel(label, { exact: true }), frame.getByLabel(label));
      if (!field) return undefined;
      await field.fill(value, { timeout: this.timeoutMs });
      return true;
    });
    return filled ? undefined : { expected: `a field labelled "${label}"`, actual: await this.shown() };
  }

  /**
   * Pay or Cancel on the WeChat Pay sheet the page's chooseWXPay opened (the chat window's, over the page). A payment
   * that fails (余额不足) is acknowledged with OK, so the page hears its fail as it would.
   */
  async answerPaySheet(answer: 'pay' | 'cancel'): Promise<PageProblem | undefined> {
    const sheet = this.page.getByRole('dialog', { name: 'WeChat Pay' });
    const button = sheet.getByRole('button', { name: answer === 'pay' ? 'Pay' : 'Cancel', exact: true });
    const pressed = await this.poll(async () => ((await pressIfShown(button)) ? true : undefined));
    if (!pressed) return { expected: 'the WeChat Pay sheet (the page asks to pay with chooseWXPay or getBrandWCPayRequest)', actual: await this.shown() };
    const ended = await this.poll(async () => {
      if (!(await sheet.isVisible())) return true;
      await pressIfShown(sheet.getByRole('button', { name: 'OK', exact: true }));
      return undefined;
    });
    return ended ? undefined : { expected: 'the WeChat Pay sheet to close', actual: 'it stayed open' };
  }

  /** Closes the in-app browser with its Close button, back to the chat. */
  async close(): Promise<void> {
    const browser = this.page.locator('#browser');
    await browser.getByRole('button', { name: 'Close', exact: true }).click({ timeout: this.timeoutMs });
    await browser.waitFor({ state: 'hidden', timeout: this.timeoutMs });
  }

  /** Closes the flow's browser context. */
  async dispose(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }

  private frame(): FrameLocator {
    return this.page.frameLocator('#browser-frame');
  }

  /** The page in the in-app browser, once one has loaded, with its address as its server names it. */
  private async read(): Promise<PageText | undefined> {
    const frame = await this.currentFrame();
    if (!frame || !/^https?:/.test(frame.url())) return undefined;
    const text = await frame.evaluate(() => (document.readyState === 'loading' ? undefined : (document.body?.innerText ?? '')));
    return text === undefined ? undefined : { url: originalUrl(frame.url()), text };
  }

  private async currentFrame(): Promise<Frame | undefined> {
    const handle = await this.page.$('#browser-frame:not([hidden])');
    return (await handle?.contentFrame()) ?? undefined;
  }

  /** A step's time ran out with no page to read: what the in-app browser had instead, for the report. */
  private async nothingLoaded(): Promise<string> {
    const named = (href: string) => (/^https?:/.test(href) ? originalUrl(href) : href);
    const consentOpen = await this.page.locator('#consent-sheet').isVisible().catch(() => false);
    const frame = await this.currentFrame().catch(() => undefined);
    // The address it was sent to, and the document it has: a navigation not yet committed leaves the old one.
    const asked = frame && named((await this.page.locator('#browser-frame').getAttribute('src').catch(() => null)) ?? '');
    const at = !frame ? 'no frame shown' : `the frame at ${named(frame.url())}${asked && asked !== named(frame.url()) ? `, sent to ${asked}` : ''}`;
    return `(nothing loaded within ${this.timeoutMs} ms: ${at}${consentOpen ? ', the consent sheet open' : ''})`;
  }

  /** What the in-app browser shows now, for a report. */
  private async shown(): Promise<string> {
    const page = await this.read().catch(() => undefined);
    return page ? showPage(page) : '(no page loaded)';
  }

  /**
   * WeChat's consent sheet (snsapi_userinfo) answered as the flow says. The sheet is the chat window's, outside the
   * page's frame, so a button of the account's own page is never pressed for it.
   */
  private async answerConsent(): Promise<void> {
    await pressIfShown(this.page.getByRole('button', { name: this.consent === 'allow' ? 'Allow' : 'Deny', exact: true }));
  }

  /** Tries `attempt` until it gives an answer or the step's time is up, answering a consent sheet each time first. */
  private async poll<T>(attempt: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = performance.now() + this.timeoutMs;
    for (;;) {
      // A page that is navigating has no document to ask: look again.
      const answer = await this.answerConsent()
        .then(attempt)
        .catch(() => undefined);
      if (answer !== undefined) return answer;
      if (performance.now() >= deadline) return undefined;
      await sleep(POLL_MS);
    }
  }
}

/**
 * Presses `button` if it shows; whether it did. The button can go between the look and the press (the page went
 * on, or asked again), so the press waits briefly rather than the step's whole time: the caller's poll looks again.
 */
async function pressIfShown(button: Locator): Promise<boolean> {
  if (!(await button.isVisible())) return false;
  await button.click({ timeout: PRESS_MS });
  return true;
}

/** The first element the first locator that finds any finds, or undefined. */
async function firstOf(...locators: Locator[]): Promise<Locator | undefined> {
  for (const locator of locators) if ((await locator.count()) > 0) return locator.first();
  return undefined;
}

/** A pages-host address as the page's own server names it (http://localhost-8080.pages.localhost:3000/a → http://localhost:8080/a). */
function originalUrl(href: string): string {
  const url = new URL(href);
  const origin = originOfLabel(url.hostname.slice(0, url.hostname.indexOf('.')));
  return origin ? new URL(`${url.pathname}${url.search}`, origin).href : href;
}
