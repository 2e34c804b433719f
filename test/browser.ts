// Headless Debian Chromium driven by playwright-core, for the end-to-end tests: launched as flows that open pages
// launch it (client/flows/chromium.ts). Never downloads a browser.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchChromium } from '../client/flows/chromium.ts';

export const CHROMIUM_PATH = chromiumPath();

/** Launches Chromium, or skips the suite (failing in CI, where .ci/run installs it) when it is missing. */
export async function launchBrowser(context: Mocha.Context): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `Chromium not found at ${CHROMIUM_PATH}: browser tests skipped (apt-get install chromium, or set CHROMIUM_PATH)`;
    if (process.env.CI) throw new Error(message);
    console.warn(`      ${message}`);
    context.skip();
    return undefined;
  }
  return launchChromium(CHROMIUM_PATH);
}

/**
 * Saves a screenshot for the guides under docs/ when SCREENSHOTS=1 (`SCREENSHOTS=1 npx mocha test/<file>`), so
 * that a test run leaves the checkout as it found it.
 */
export async function guideScreenshot(page: { screenshot(options: { path: string }): Promise<unknown> }, name: string): Promise<void> {
  if (process.env.SCREENSHOTS === '1') await page.screenshot({ path: `docs/${name}` });
}
