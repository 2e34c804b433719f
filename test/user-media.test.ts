// POST /api/media: the picture a user attaches in the chat window, stored and served back.
import { expect } from 'chai';
import type { MediaPayload } from '../server/contract.ts';
import { MEDIA_LIMITS } from '../server/media.ts';
import { UNLIMITED } from '../server/app/security.ts';
import { pngPicture } from './media-files.ts';
import { startServer, type Running } from './helpers.ts';

function form(bytes: Buffer, field = 'media', name = 'photo.png', type = 'image/png'): FormData {
  const body = new FormData();
  body.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return body;
}

describe('POST /api/media', () => {
  let server: Running;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  const upload = (body: FormData | string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/media`, { method: 'POST', body, headers });

  it('stores a picture and serves the very same bytes at the url it answers with', async () => {
    const png = pngPicture(32, 20);
    const res = await upload(form(png));
    expect(res.status).to.equal(200);
    const payload = (await res.json()) as MediaPayload;
    expect(payload.mediaId).to.match(/^[A-Za-z0-9_-]{1,64}$/);
    expect(payload.url).to.equal(`/api/media/${payload.mediaId}`);
    const served = await fetch(`${server.url}${payload.url}`);
    expect(served.status).to.equal(200);
    expect(served.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).to.equal(true);
  });

  it('takes the picture by its bytes, whatever name and type the browser gave it', async () => {
    const res = await upload(form(pngPicture(8, 8), 'media', 'notes.txt', 'text/plain'));
    expect(res.status).to.equal(200);
  });

  it('refuses what is not a picture with 415 unsupported_media', async () => {
    const res = await upload(form(Buffer.from('just some text, not a picture'), 'media', 'cat.png'));
    expect(res.status).to.equal(415);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('unsupported_media');
    expect(body.error.message).to.include('png, jpg, gif, bmp');
  });

  it('refuses a picture over 10 MiB with 413 too_large', async () => {
    const big = Buffer.concat([pngPicture(4, 4), Buffer.alloc(MEDIA_LIMITS.image.maxBytes)]);
    const res = await upload(form(big));
    expect(res.status).to.equal(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('too_large');
  });

  it('refuses a request without the file, or with it in another field, with 400 bad_request', async () => {
    const cases: Array<[FormData | string, Record<string, string>]> = [
      [new FormData(), {}],
      [form(pngPicture(4, 4), 'picture'), {}],
      ['{"media":"x"}', { 'content-type': 'application/json' }],
      ['--x\r\nbroken', { 'content-type': 'multipart/form-data; boundary=x' }],
    ];
    for (const [body, headers] of cases) {
      const res = await upload(body, headers);
      expect(res.status, JSON.stringify(headers)).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('bad_request');
    }
    const empty = await upload(form(Buffer.alloc(0)));
    expect(empty.status).to.equal(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).to.include('empty');
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
  });

  it('counts against the per-address rate limit like any request', async () => {
    await server.close();
    server = await startServer(undefined, { security: { ...UNLIMITED, rateLimits: { perAddress: { points: 1, seconds: 60 } } } });
    expect((await upload(form(pngPicture(4, 4)))).status).to.equal(200);
    const second = await upload(form(pngPicture(4, 4)));
    expect(second.status).to.equal(429);
  });
});
