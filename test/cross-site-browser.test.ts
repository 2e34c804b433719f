// A page of another site (another port is another origin) in real Chromium, posting to the simulator the
// way browsers let any page: no-cors, text/plain and multipart, which need no preflight. None may change anything.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { type App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import type { MediaRecord } from '../server/store/chat-store.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { launchBrowser } from './browser.ts';
import { seedContent } from './helpers.ts';
import { accessToken, APPID, cgi, PNG, SECRET } from './platform-helpers.ts';

const MENU = { button: [{ type: 'click', name: 'Ours', key: 'OURS' }] };

/** A second HTTP server: the hostile site, one empty page. */
async function hostileSite(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Win a prize</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('cross-site requests from a real browser', function () {
  this.timeout(30_000);
  let browser: Browser | undefined;
  let app: App;
  let url: string;
  let stored: MediaRecord[];
  let site: Awaited<ReturnType<typeof hostileSite>>;

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(() => browser?.close());
  beforeEach(async () => {
    const store = memoryStore();
    stored = [];
    const putMedia = store.putMedia.bind(store);
    store.putMedia = (record, bytes) => {
      stored.push(record);
      return putMedia(record, bytes);
    };
    app = await openApp({ store, content: seedContent(), logger: silentLogger, platform: { appId: APPID, secret: SECRET } });
    url = await app.listen(0, '127.0.0.1');
    site = await hostileSite();
  });
  afterEach(async () => {
    await site.close();
    await app.close();
  });

  it('a page on another origin cannot create or delete the menu, nor store a picture, even with a valid token', async () => {
    const token = await accessToken(url);
    expect((await cgi(url, 'menu/create', token, MENU)).body.errcode).to.equal(0);
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(site.url);
    const seen: string[] = [];
    app.httpServer.prependListener('request', (req: IncomingMessage) => seen.push(`${req.method} ${req.url!.split('?')[0]} ${req.headers['sec-fetch-site']}`));
    await page.evaluate(
      async ({ simulator, token, png }) => {
        // No named functions in here: the test runner's compiler would wrap them in a helper the page lacks.
        const query = `?access_token=${encodeURIComponent(token)}`;
        const hostile = { button: [{ type: 'view', name: 'Prize', url: 'https://evil.example/' }] };
        const picture = new FormData();
        picture.append('media', new Blob([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], { type: 'image/png' }), 'prize.png');
        const calls = [
          fetch(`${simulator}/cgi-bin/menu/create${query}`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(hostile) }),
          fetch(`${simulator}/cgi-bin/menu/delete${query}`, { mode: 'no-cors' }),
          fetch(`${simulator}/api/media`, { method: 'POST', mode: 'no-cors', body: picture }),
          fetch(`${simulator}/api/messages`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ userId: 'victim', type: 'text', text: 'hi' }) }),
        ];
        // The page learns nothing (the answers are opaque, or blocked by Cross-Origin-Resource-Policy).
        await Promise.allSettled(calls);
      },
      { simulator: url, token, png: PNG.toString('base64') },
    );
    await context.close();
    // Every request reached the server as a browser sends it: another port of 127.0.0.1 is the "same site".
    expect(seen.sort()).to.deep.equal(['GET /cgi-bin/menu/delete same-site', 'POST /api/media same-site', 'POST /api/messages same-site', 'POST /cgi-bin/menu/create same-site']);
    const menu = await cgi(url, 'menu/get', token);
    expect(menu.body.menu.button).to.deep.equal(MENU.button);
    expect(stored).to.deep.equal([]);
    expect(await app.service.history('victim', { limit: 10 })).to.satisfy((messages?: unknown[]) => !messages?.length);
  });
});
