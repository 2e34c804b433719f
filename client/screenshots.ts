// Takes the README's screenshots (docs/*.png) of the real chat window: `npm run screenshots`.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { createApp } from '../server/app.ts';
import { clientDir, readConfig } from '../server/config.ts';
import { loadContent } from '../server/content/load-content.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { buildClient } from './build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docs = path.join(root, 'docs');

async function say(page: Page, text: string, waitFor: RegExp): Promise<void> {
  const keyboard = page.getByRole('button', { name: 'Show keyboard' });
  if (await keyboard.isVisible()) await keyboard.click();
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.keyboard.press('Enter');
  await page.getByRole('log').getByText(waitFor).last().waitFor();
}

await buildClient();
await mkdir(docs, { recursive: true });
const app = await createApp({ store: memoryStore(), content: loadContent(readConfig({})), logger: silentLogger, clientDir });
const url = await app.listen(0, '127.0.0.1');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const desktop = await browser.newPage({ viewport: { width: 900, height: 820 } });
  await desktop.goto(`${url}/?user=screenshot-desktop`);
  await desktop.getByRole('log').getByText(/^Welcome/).waitFor();
  await say(desktop, 'What is WeChat Pay? 支付', /Activate Mobile Payment/);
  await desktop.getByRole('button', { name: 'Show menu' }).click();
  await desktop.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Topics' }).click();
  await desktop.screenshot({ path: path.join(docs, 'chat.png') });
  await desktop.getByRole('menuitem', { name: 'Mobile games' }).click();
  await desktop.getByRole('link', { name: /mobile games/ }).click();
  await desktop.getByRole('heading', { name: 'Promoting the development of mobile games' }).waitFor();
  await desktop.screenshot({ path: path.join(docs, 'section-page.png') });

  const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, deviceScaleFactor: 2 });
  await phone.goto(`${url}/?user=screenshot-phone`);
  await phone.getByRole('log').getByText(/^Welcome/).waitFor();
  await say(phone, 'games', /Promoting the development/);
  await say(phone, '5', /^5\. Outlook/);
  await phone.screenshot({ path: path.join(docs, 'phone.png') });
  process.stdout.write(`screenshots written to ${docs}\n`);
} finally {
  await browser.close();
  await app.close();
}
