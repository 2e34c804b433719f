// Takes the screenshots of the README and docs/chat-window.md (docs/*.png) of the real chat window: `npm run screenshots`.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { UNLIMITED } from '../server/app/security.ts';
import { startFromConfig } from '../server/app/start.ts';
import { clientDir, readConfig } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import { mediaUrl, newMediaId } from '../server/media.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { pngPicture } from '../test/media-files.ts';
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
const store = memoryStore();
const server = await startFromConfig(readConfig({}), { store, logger: silentLogger, clientDir, port: 0, host: '127.0.0.1', security: UNLIMITED });
const { app, url } = server;
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

  // Every kind of message a server under test can send, as the platform API delivers them.
  const types = await browser.newPage({ viewport: { width: 390, height: 880 }, isMobile: true, deviceScaleFactor: 2 });
  await types.goto(`${url}/?user=screenshot-types`);
  await types.getByRole('log').getByText(/^Welcome/).waitFor();
  const picture = pngPicture(360, 240, 205);
  const mediaId = newMediaId();
  await store.putMedia({ mediaId, type: 'image', contentType: 'image/png', size: picture.length, createdAt: new Date().toISOString() }, picture);
  await app.service.deliver('screenshot-types', [
    { type: 'image', url: mediaUrl(mediaId), mediaId },
    {
      type: 'template',
      templateId: 'order-shipped',
      title: 'Order shipped',
      url: 'https://example.com/orders/A-1001',
      content: '{{first.DATA}}\nOrder: {{order.DATA}}\nCarrier: {{carrier.DATA}}\nAmount: {{amount.DATA}}\n{{remark.DATA}}',
      data: { first: { value: 'Hidden since May 2023' }, order: { value: 'A-1001' }, carrier: { value: 'SF Express' }, amount: { value: '¥88.00', color: '#E0442E' }, remark: { value: 'Hidden too' } },
    },
    { type: 'voice', url: '', title: 'Voice message (nothing to play)' },
    { type: 'options', head: 'Was this answer helpful?', items: [{ id: '101', text: 'Yes, thanks' }, { id: '102', text: 'No, show me more' }], tail: 'Tap an answer' },
  ]);
  await types.getByRole('button', { name: 'Yes, thanks' }).click();
  await types.locator('.message.user[data-id] .bubble', { hasText: 'Yes, thanks' }).waitFor();
  app.service.typing('screenshot-types', true);
  await types.locator('.message.typing').waitFor();
  await types.locator('.picture img').evaluate((img: HTMLImageElement) => img.decode());
  // From the picture down: the welcome above it is in the other screenshots.
  await types.getByRole('log').evaluate((log: HTMLElement) => (log.scrollTop = log.querySelector<HTMLElement>('.picture')!.offsetTop - log.offsetTop - 12));
  await types.screenshot({ path: path.join(docs, 'message-types.png') });
  app.service.typing('screenshot-types', false);
  await types.locator('.message.typing').waitFor({ state: 'detached' });

  // The user sends a picture.
  await types.getByRole('button', { name: 'Show keyboard' }).click();
  await types.locator('#picker').setInputFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: pngPicture(300, 400, 150) });
  await types.locator('.message.user[data-id] .picture img').waitFor();
  await types.getByRole('log').getByText(/picture/i).last().waitFor();
  await types.locator('.message.user .picture img').evaluate((img: HTMLImageElement) => img.decode());
  await types.getByRole('textbox', { name: 'Message' }).blur();
  await types.screenshot({ path: path.join(docs, 'send-picture.png') });

  // On a desktop the panel stands beside the phone, as an inspector: the same conversation, a message's JSON,
  // and the platform API calls the server under test made (reported once this window is open to see them).
  const inspector = await browser.newPage({ viewport: { width: 1200, height: 820 } });
  await inspector.goto(`${url}/?user=screenshot-types`);
  await inspector.getByRole('log').getByText(/^Welcome/).waitFor();
  await inspector.getByRole('button', { name: 'Developer panel' }).click();
  await inspector.locator('.message.user .bubble', { hasText: 'Yes, thanks' }).click();
  const at = () => new Date().toISOString();
  app.service.reportApiCall({ at: at(), method: 'GET', path: '/cgi-bin/token?grant_type=client_credential&appid=wx0123456789abcdef', errcode: 0, errmsg: 'ok' });
  app.service.reportApiCall({ at: at(), method: 'POST', path: '/cgi-bin/menu/create', body: { button: [{ type: 'click', name: 'Shop', key: 'shop' }] }, errcode: 0, errmsg: 'ok' });
  app.service.reportApiCall({ at: at(), method: 'POST', path: '/cgi-bin/message/custom/send', body: { touser: 'screenshot-types', msgtype: 'text', text: { content: 'Your parcel is on its way.' } }, errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' });
  await inspector.getByRole('list', { name: 'Platform API calls' }).getByRole('listitem').nth(2).waitFor();
  await inspector.locator('.message.user .picture img').evaluate((img: HTMLImageElement) => img.decode());
  await inspector.screenshot({ path: path.join(docs, 'developer-panel.png') });
  process.stdout.write(`screenshots written to ${docs}\n`);
} finally {
  await browser.close();
  await server.close();
}
