// Headless Debian Chromium driven by playwright-core, for the end-to-end tests. Never downloads a browser.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Launches Chromium, or skips the suite (failing in CI, where .ci/run installs it) when it is missing. */
export async function launchBrowser(context: Mocha.Context): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `Chromium not found at ${CHROMIUM_PATH}: browser tests skipped (apt-get install chromium, or set CHROMIUM_PATH)`;
    if (process.env.CI) throw new Error(message);
    console.warn(`      ${message}`);
    context.skip();
    return undefined;
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Saves a screenshot for the guides under docs/ when SCREENSHOTS=1 (`SCREENSHOTS=1 npx mocha test/<file>`), so
 * that a test run leaves the checkout as it found it.
 */
export async function guideScreenshot(page: { screenshot(options: { path: string }): Promise<unknown> }, name: string): Promise<void> {
  if (process.env.SCREENSHOTS === '1') await page.screenshot({ path: `docs/${name}` });
}
