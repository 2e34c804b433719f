// Temporary media over real HTTP: served with the type their bytes have, kept 3 days (then gone, bytes and
// all), and under a quota per store; on lowdb files (with a clock the test moves) and on Redis.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { type App } from '../server/app/app.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { fileStore, type LowStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { eachTestTempDir, http, seedContent, until } from './helpers.ts';
import { accessToken, APPID, cgi, PNG, SECRET } from './platform-helpers.ts';
import { suiteRedis } from './redis-helpers.ts';

const DAYS_3 = 3 * 24 * 3600 * 1000;

/** Uploads `bytes` to media/upload under the file name `name`. */
async function platformUpload(base: string, token: string, bytes: Buffer, name = 'file.png') {
  const form = new FormData();
  form.append('media', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${base}/cgi-bin/media/upload?access_token=${token}&type=image`, { method: 'POST', body: form });
  return (await res.json()) as { media_id?: string; errcode?: number; errmsg?: string };
}

/** Uploads a picture the way the chat window does. */
async function userUpload(base: string, bytes: Buffer) {
  const form = new FormData();
  form.append('media', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'photo.png');
  const res = await fetch(`${base}/api/media`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as { mediaId?: string; error?: { code: string; message: string } } };
}

type Started = { app: App; url: string; token: string };

async function startWith(store: ChatStore, now: () => number): Promise<Started> {
  const app = await openApp({ store, content: seedContent(), logger: silentLogger, platform: { appId: APPID, secret: SECRET, now } });
  const url = await app.listen(0, '127.0.0.1');
  return { app, url, token: await accessToken(url) };
}

describe('media/get: what a download is', () => {
  let sim: Started;
  afterEach(() => sim.app.close()); // before the folder goes
  const tmp = eachTestTempDir();
  beforeEach(async () => {
    sim = await startWith(fileStore(tmp.dbFile), Date.now);
  });

  it('serves a PNG uploaded as evil.html as image/png, under a safe name with the extension of its bytes, nosniff', async () => {
    const uploaded = await platformUpload(sim.url, sim.token, PNG, '../evil".html');
    const res = await fetch(`${sim.url}/cgi-bin/media/get?access_token=${sim.token}&media_id=${uploaded.media_id}`);
    expect(res.headers.get('content-type')).to.equal('image/png');
    expect(res.headers.get('content-disposition')).to.equal('attachment; filename=evil_.png');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).to.equal(true);
  });
});

describe('media on lowdb files: 3 days, then deleted; a quota', () => {
  let sim: Started;
  afterEach(() => sim.app.close()); // before the folder goes
  const tmp = eachTestTempDir();
  let now: number;
  let store: LowStore;
  const mediaDir = () => path.join(tmp.dir, 'db.media');
  const start = async (options: Parameters<typeof fileStore>[1] = {}) => {
    store = fileStore(tmp.dbFile, { now: () => now, ...options });
    sim = await startWith(store, () => now);
  };
  beforeEach(() => {
    now = Date.now();
  });

  it('answers 40007 and 404 once 3 days are over, and the sweep at open deletes the bytes', async () => {
    await start();
    const platform = await platformUpload(sim.url, sim.token, PNG);
    const user = await userUpload(sim.url, PNG);
    const ids = [platform.media_id!, user.body.mediaId!];
    for (const id of ids) expect(existsSync(path.join(mediaDir(), id))).to.equal(true);
    expect((await fetch(`${sim.url}/api/media/${ids[1]}`)).status).to.equal(200);

    now += DAYS_3;
    const token = await accessToken(sim.url);
    expect((await cgi(sim.url, `media/get?media_id=${ids[0]}`, token)).body.errcode).to.equal(40007);
    for (const id of ids) expect((await fetch(`${sim.url}/api/media/${id}`)).status).to.equal(404);
    await sim.app.close();

    await start(); // the sweep at open
    for (const id of ids) {
      expect(existsSync(path.join(mediaDir(), id))).to.equal(false);
      expect(existsSync(path.join(mediaDir(), `${id}.json`))).to.equal(false);
    }
  });

  it('deletes lapsed media while running, with the periodic sweep', async () => {
    await start({ mediaSweepMs: 5 });
    const { mediaId } = (await userUpload(sim.url, PNG)).body;
    now += DAYS_3 - 1;
    expect((await fetch(`${sim.url}/api/media/${mediaId}`)).status).to.equal(200);
    now += 1;
    await until(() => !existsSync(path.join(mediaDir(), mediaId!)));
  });

  it('refuses uploads past the quota (507 media_quota, errcode 45009), changing nothing, and takes them again once older media lapsed', async () => {
    await start({ mediaQuotaBytes: 2 * PNG.length });
    expect((await userUpload(sim.url, PNG)).status).to.equal(200);
    now += 1000;
    expect((await platformUpload(sim.url, sim.token, PNG)).media_id).to.be.a('string');
    const full = await userUpload(sim.url, PNG);
    expect(full.status).to.equal(507);
    expect(full.body.error!.code).to.equal('media_quota');
    expect(full.body.error!.message).to.include('MEDIA_QUOTA_MB');
    const refused = await platformUpload(sim.url, sim.token, PNG);
    expect(refused.errcode).to.equal(45009);
    expect(refused.errmsg).to.include('media storage is full');
    expect(readdirSync(mediaDir()).filter((f) => f.endsWith('.json'))).to.have.length(2);

    now += DAYS_3 - 1000; // the first upload lapsed, the second has a second left
    expect((await userUpload(sim.url, PNG)).status).to.equal(200);
    expect((await userUpload(sim.url, PNG)).status).to.equal(507);
  });
});

describe('media on Redis: key expiry and a quota shared by every process', function () {
  this.timeout(20_000);
  const redis = suiteRedis();
  let sim: Started;
  let now: number;
  beforeEach(async () => {
    await redis.admin.flushall();
    now = Date.now();
  });
  afterEach(() => sim.app.close());

  it('gives each file a time to live of 3 days, and answers 40007 and 404 once the clock passes it', async () => {
    sim = await startWith(new RedisStore({ url: redis.server.url, now: () => now }), () => now);
    const { media_id } = await platformUpload(sim.url, sim.token, PNG);
    const ttl = await redis.admin.pttl(`oa:media:{media}:${media_id}`);
    expect(ttl).to.be.above(DAYS_3 - 60_000).and.at.most(DAYS_3);
    expect((await fetch(`${sim.url}/api/media/${media_id}`)).status).to.equal(200);
    now += DAYS_3;
    const token = await accessToken(sim.url);
    expect((await cgi(sim.url, `media/get?media_id=${media_id}`, token)).body.errcode).to.equal(40007);
    expect((await fetch(`${sim.url}/api/media/${media_id}`)).status).to.equal(404);
  });

  it('refuses uploads past the quota, counted in Redis, and frees what lapsed', async () => {
    sim = await startWith(new RedisStore({ url: redis.server.url, now: () => now, mediaQuotaBytes: 2 * PNG.length }), () => now);
    expect((await userUpload(sim.url, PNG)).status).to.equal(200);
    expect((await platformUpload(sim.url, sim.token, PNG)).media_id).to.be.a('string');
    const full = await userUpload(sim.url, PNG);
    expect([full.status, full.body.error!.code]).to.deep.equal([507, 'media_quota']);
    expect((await platformUpload(sim.url, sim.token, PNG)).errcode).to.equal(45009);
    expect(await redis.admin.keys('oa:media:{media}:*')).to.have.length(2);
    now += DAYS_3;
    expect((await userUpload(sim.url, PNG)).status).to.equal(200);
    expect(Number(await redis.admin.get('oa:media-bytes:{media}'))).to.equal(PNG.length);
  });
});
