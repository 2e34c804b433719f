// Headless Chromium for flows that open pages: the machine's own Chromium (Debian's by default) driven by
// playwright-core, which never downloads a browser. Loaded and launched only when a flow opens a page.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';

/** Where Chromium is: CHROMIUM_PATH, or where Debian's `chromium` package puts it. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string => env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Switches for a headless browser on a build machine: no sandbox (containers), no GPU, nothing fetched in the background. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** What a flow with pages is missing (playwright-core or Chromium), named with what to install. */
export class MissingBrowser extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingBrowser';
  }
}

/** Launches headless Chromium, or throws MissingBrowser saying what to install. */
export async function launchChromium(executablePath = chromiumPath()): Promise<Browser> {
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new MissingBrowser('flows that OPEN pages need the playwright-core package: npm install playwright-core');
  }
  if (!existsSync(executablePath)) {
    throw new MissingBrowser(`flows that OPEN pages need Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH to a Chromium or Chrome`);
  }
  return playwright.chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** One browser for a whole run, launched by the first flow that asks for a page; each flow gets a context of its own. */
export class SharedBrowser {
  private launched: Promise<Browser> | undefined;

  constructor(private readonly launch: () => Promise<Browser> = () => launchChromium()) {}

  /** A fresh context (its own cookies and storage): one flow's user. */
  async newContext(): Promise<BrowserContext> {
    this.launched ??= this.launch();
    return (await this.launched).newContext({ viewport: { width: 1000, height: 800 } });
  }

  /** Closes the browser, if one was launched. */
  async close(): Promise<void> {
    const launched = this.launched;
    this.launched = undefined;
    await launched?.then((browser) => browser.close(), () => undefined);
  }
}
