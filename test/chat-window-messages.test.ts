// The chat window shows every message type (browser): pictures, voice, video, template cards, options,
// the typing indicator, the live menu, platform API calls; and the user sends a picture.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { StoredMessage } from '../server/contract.ts';
import { mediaUrl, newMediaId } from '../server/media.ts';
import { browserFixture } from './chat-window-helpers.ts';
import { http } from './helpers.ts';
import { pngPicture, wavTone } from './media-files.ts';

describe('chat window: every message type (browser)', function () {
  this.timeout(60_000);
  const fx = browserFixture();

  /** Opens the window as `userId` and waits for the welcome. */
  async function open(userId: string): Promise<Page> {
    const page = await fx.page(`/?user=${userId}`);
    await page.getByRole('log').getByText(/^Welcome to WeChat Business Watch/).waitFor();
    return page;
  }

  async function storedPicture(hue = 200): Promise<{ mediaId: string; url: string; bytes: Buffer }> {
    const mediaId = newMediaId();
    const bytes = pngPicture(240, 160, hue);
    await fx.store.putMedia({ mediaId, type: 'image', contentType: 'image/png', size: bytes.length, createdAt: new Date().toISOString() }, bytes);
    return { mediaId, url: mediaUrl(mediaId), bytes };
  }

  const history = async (userId: string): Promise<StoredMessage[]> => (await http(`${fx.url}/api/messages?userId=${userId}`, 'GET')).body.messages;

  it('shows a picture the bot sends, enlarges it on a tap, and Escape or Back closes it', async () => {
    const page = await open('pic-user');
    const { url, mediaId } = await storedPicture();
    await fx.app.service.deliver('pic-user', [{ type: 'image', url, mediaId }]);
    const thumb = page.getByRole('button', { name: 'Picture; tap to enlarge' });
    await thumb.waitFor();
    expect(await thumb.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).to.equal(240);
    const before = page.url();

    await thumb.click();
    const dialog = page.getByRole('dialog', { name: 'Picture' });
    await dialog.waitFor();
    expect(await dialog.locator('img').getAttribute('src')).to.equal(url);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(page.url()).to.equal(before);

    await thumb.click();
    await dialog.waitFor();
    await page.goBack();
    await dialog.waitFor({ state: 'detached' });
    expect(page.url()).to.equal(before);
    expect(await page.locator('#section-page').isHidden()).to.equal(true);
  });

  it('plays voice and video from their url, and shows a placeholder with the title when there is nothing to play', async () => {
    const page = await open('media-user');
    const voiceId = newMediaId();
    const wav = wavTone(2);
    await fx.store.putMedia({ mediaId: voiceId, type: 'voice', contentType: 'audio/wav', size: wav.length, createdAt: new Date().toISOString() }, wav);
    await fx.app.service.deliver('media-user', [
      { type: 'voice', url: mediaUrl(voiceId), mediaId: voiceId },
      { type: 'video', url: '/api/media/no-such-video', title: 'Launch event', description: 'Two minutes' },
      { type: 'video', url: '', title: 'Gone video' },
    ]);
    const audio = page.locator('audio[controls]');
    await audio.waitFor({ state: 'attached' });
    expect(await audio.getAttribute('src')).to.equal(mediaUrl(voiceId));
    // Loaded under the page's CSP (media from its own origin): the player knows how long it is.
    await page.waitForFunction(() => (document.querySelector('audio')?.readyState ?? 0) >= 1);
    expect(await audio.evaluate((a: HTMLAudioElement) => Math.round(a.duration))).to.equal(2);
    await page.getByText('Gone video').waitFor();
    expect(await page.locator('.media-missing', { hasText: 'Gone video' }).textContent()).to.equal('[Video]Gone video');
    // The video url names nothing stored: it cannot play, and says so with its title.
    await page.locator('.media-missing', { hasText: 'Launch event' }).waitFor();
    expect(await page.locator('.media-missing', { hasText: 'Launch event' }).textContent()).to.include('[Video] cannot be played');
  });

  it('shows a template card: title, the data as rows in their colours, content filled in, first and remark hidden, Details', async () => {
    const page = await open('tpl-user');
    await fx.app.service.deliver('tpl-user', [
      {
        type: 'template',
        templateId: 'tpl-order',
        title: 'Order shipped',
        url: 'https://example.com/orders/1',
        content: '{{first.DATA}}\nOrder: {{order.DATA}}\nAmount：{{amount.DATA}}\nArrives {{day.DATA}} by noon\n{{remark.DATA}}',
        data: {
          first: { value: 'Your order is on its way' },
          order: { value: 'A-1001' },
          amount: { value: '¥88.00', color: '#FF0000' },
          day: { value: 'Friday' },
          remark: { value: 'Thanks for shopping' },
        },
      },
      { type: 'template', templateId: 'tpl-bare', data: { first: { value: 'hidden' }, keyword1: { value: '<b>Paid</b>' } } },
    ]);
    const card = page.locator('.template').first();
    await card.waitFor();
    expect(await card.locator('.template-title').textContent()).to.equal('Order shipped');
    expect(await card.locator('.template-row').allTextContents()).to.deep.equal(['OrderA-1001', 'Amount¥88.00']);
    expect(await card.locator('.template-line').textContent()).to.equal('Arrives Friday by noon');
    const amount = card.locator('.template-value', { hasText: '¥88.00' });
    expect(await amount.evaluate((el) => getComputedStyle(el).color)).to.equal('rgb(255, 0, 0)');
    expect(await card.textContent()).not.to.include('Your order is on its way').and.not.include('Thanks for shopping');
    expect(await card.getByRole('link', { name: 'Details' }).getAttribute('href')).to.equal('https://example.com/orders/1');

    const bare = page.locator('.template').nth(1);
    expect(await bare.locator('.template-row').allTextContents()).to.deep.equal(['keyword1<b>Paid</b>']);
    expect(await bare.getByRole('link').count()).to.equal(0);
    expect(await page.locator('.template b').count()).to.equal(0);
  });

  it('sends a tapped option as text with its optionId', async () => {
    const page = await open('opt-user');
    await fx.app.service.deliver('opt-user', [{ type: 'options', head: 'Was this helpful?', items: [{ id: '101', text: 'Yes' }, { id: '102', text: 'No, show me more' }], tail: 'Tap one' }]);
    const bubble = page.locator('.bubble.options');
    await bubble.waitFor();
    expect(await bubble.locator('.options-head').textContent()).to.equal('Was this helpful?');
    expect(await bubble.locator('.options-tail').textContent()).to.equal('Tap one');
    await page.getByRole('button', { name: 'No, show me more' }).click();
    await page.locator('.message.user .bubble', { hasText: 'No, show me more' }).waitFor();
    await page.locator('.message.user[data-id]').waitFor();
    const sent = (await history('opt-user')).filter((m) => m.from === 'user');
    expect(sent).to.have.length(1);
    expect(sent[0]).to.include({ type: 'text', text: 'No, show me more', optionId: '102' });
  });

  it('shows the typing indicator while the server says so, until its next message', async () => {
    const page = await open('typing-user');
    const indicator = page.locator('.message.typing');
    expect(await indicator.count()).to.equal(0);
    fx.app.service.typing('typing-user', true);
    await indicator.waitFor();
    fx.app.service.typing('typing-user', false);
    await indicator.waitFor({ state: 'detached' });
    fx.app.service.typing('typing-user', true);
    await indicator.waitFor();
    await fx.app.service.deliver('typing-user', [{ type: 'text', text: 'Here is your answer' }]);
    await page.getByText('Here is your answer').waitFor();
    await indicator.waitFor({ state: 'detached' });
  });

  it('drops the typing indicator after 15 s when the server never cancels it', async () => {
    const page = await fx.context.newPage();
    await page.clock.install();
    await page.goto(`${fx.url}/?user=typing-forever`);
    await page.getByRole('log').getByText(/^Welcome/).waitFor();
    fx.app.service.typing('typing-forever', true);
    const indicator = page.locator('.message.typing');
    await indicator.waitFor();
    await page.clock.fastForward(14_000);
    expect(await indicator.count()).to.equal(1);
    await page.clock.fastForward(1_500);
    await indicator.waitFor({ state: 'detached' });
  });

  it('shows the trace of a message the platform API delivered in the developer panel', async () => {
    const page = await open('trace-user');
    await fx.app.service.deliver('trace-user', [{ type: 'text', text: 'Sent by the API' }], { trace: { api: { method: 'POST', path: '/cgi-bin/message/custom/send' } } });
    await page.getByRole('button', { name: 'Developer panel' }).click();
    await page.getByText('Sent by the API').click();
    expect(await page.locator('#dev-json').textContent()).to.include('── trace ──').and.include('/cgi-bin/message/custom/send');
  });

  it('redraws the menu when it changes, and a link item opens the page in the in-app browser and sends a VIEW event', async () => {
    const page = await open('menu-user');
    const menu = page.getByRole('navigation', { name: 'Menu' });
    expect(await menu.getByRole('button').allTextContents()).to.deep.equal(['Article', 'Topics', 'Help']);
    fx.app.service.setMenu([{ name: 'Shop', key: 'shop' }, { name: 'More', sub: [{ name: 'Docs', url: `${fx.url}/healthz` }] }]);
    await menu.getByRole('button', { name: 'Shop' }).waitFor();
    expect(await menu.getByRole('button').allTextContents()).to.deep.equal(['Shop', 'More']);

    await menu.getByRole('button', { name: 'More' }).click();
    await page.getByRole('menuitem', { name: 'Docs' }).click();
    // Inside the phone, on the pages host of the menu link's origin, never a new tab.
    await page.frameLocator('#browser-frame').getByText('"status":"ok"').waitFor();
    const { port } = new URL(fx.url);
    expect(await page.locator('#browser-frame').getAttribute('src')).to.equal(`http://127-0-0-1-${port}.pages.localhost:${port}/healthz`);
    expect(page.context().pages()).to.have.length(1);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByText('You opened “Docs”').waitFor();
    await page.locator('.event-note[data-id]').last().waitFor();
    const events = (await history('menu-user')).filter((m) => m.from === 'user');
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ type: 'event', event: 'view', url: `${fx.url}/healthz` });
  });

  it('lists the platform API calls in the developer panel, in order', async () => {
    const page = await open('api-user');
    await page.getByRole('button', { name: 'Developer panel' }).click();
    const at = new Date().toISOString();
    fx.app.service.reportApiCall({ at, method: 'GET', path: '/cgi-bin/token?grant_type=client_credential', errcode: 0, errmsg: 'ok' });
    fx.app.service.reportApiCall({ at, method: 'POST', path: '/cgi-bin/menu/create', body: { button: [{ name: 'Shop' }] }, errcode: 40016, errmsg: 'invalid button size' });
    const calls = page.getByRole('list', { name: 'Platform API calls' }).getByRole('listitem');
    await calls.nth(1).waitFor();
    expect(await calls.locator('.api-head').allTextContents()).to.deep.equal([
      `${await page.evaluate((iso) => new Date(iso).toLocaleTimeString(undefined, { hour12: false }), at)} GET /cgi-bin/token?grant_type=client_credential → 0 ok`,
      `${await page.evaluate((iso) => new Date(iso).toLocaleTimeString(undefined, { hour12: false }), at)} POST /cgi-bin/menu/create → 40016 invalid button size`,
    ]);
    expect(JSON.parse((await calls.nth(1).locator('.api-body').textContent())!)).to.deep.equal({ button: [{ name: 'Shop' }] });
    expect(await calls.nth(1).getAttribute('class')).to.include('failed');
  });

  it('lists in the developer panel the platform API calls made before the page loaded, and again after a reload', async () => {
    // No credentials configured: refused, and still a call the panel lists.
    const { errcode } = (await (await fetch(`${fx.url}/cgi-bin/token?grant_type=client_credential`)).json()) as { errcode: number };
    const page = await open('late-panel');
    const calls = page.getByRole('list', { name: 'Platform API calls' }).getByRole('listitem');
    for (let visit = 0; visit < 2; visit++) {
      await page.getByRole('button', { name: 'Developer panel' }).click();
      await calls.first().waitFor();
      expect(await calls.locator('.api-path').allTextContents()).to.deep.equal(['/cgi-bin/token?grant_type=client_credential']);
      expect(await calls.first().locator('.api-errcode').textContent()).to.match(new RegExp(`^${errcode} `));
      if (visit === 0) {
        await page.reload();
        await page.getByRole('log').getByText(/^Welcome to WeChat Business Watch/).waitFor();
      }
    }
  });

  it('sends a picture the user attaches, end to end, and shows the server\'s reason when it refuses one', async () => {
    const page = await open('attach-user');
    await page.getByRole('button', { name: 'Show keyboard' }).click();
    const png = pngPicture(200, 120, 30);
    await page.locator('#picker').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const mine = page.locator('.message.user[data-id] .picture img');
    await mine.waitFor();
    expect(await mine.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).to.equal(200);
    await page.getByRole('log').getByText(/picture/i).last().waitFor(); // the article bot's polite answer
    const sent = (await history('attach-user')).filter((m) => m.from === 'user');
    expect(sent).to.have.length(1);
    const image = sent[0] as Extract<StoredMessage, { type: 'image' }>;
    expect(image.type).to.equal('image');
    expect(image.url).to.equal(`/api/media/${image.mediaId}`);
    const served = Buffer.from(await (await fetch(`${fx.url}${image.url}`)).arrayBuffer());
    expect(served.equals(png)).to.equal(true);

    await page.locator('#picker').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all') });
    await page.locator('#banner', { hasText: /^Picture not sent: .* must be png, jpg, gif, bmp/ }).waitFor();
    const tooBig = Buffer.concat([pngPicture(4, 4), Buffer.alloc(11 * 1024 * 1024)]);
    await page.locator('#picker').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: tooBig });
    await page.locator('#banner', { hasText: 'Picture not sent: A picture may be at most 10240 KiB' }).waitFor();
    expect(await page.locator('.message.user').count()).to.equal(1);
    expect((await history('attach-user')).filter((m) => m.from === 'user')).to.have.length(1);
  });
});
