// Access tokens over real HTTP: only tokens a simulator with the same appid and secret signed get through,
// on lowdb files and on Redis; a token outlives the simulator that issued it (a fresh one with an empty store
// accepts it, and wechat-api carries on across a restart); db.json is readable by its owner only.
import { createHash } from 'node:crypto';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import WechatAPI from 'wechat-api';
import type { ChatStore } from '../server/store/chat-store.ts';
import { fileLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { eachTestTempDir, http } from './helpers.ts';
import { accessToken, APPID, cgi, platformSimulator, platformSimulatorOn, SECRET } from './platform-helpers.ts';
import { startRedis, type RedisServer } from './redis-helpers.ts';

const MINUTE = 60_000;
const BUTTON = { button: [{ type: 'click', name: 'Help', key: 'help' }] };

const stableToken = async (base: string, forceRefresh = false): Promise<string> =>
  (await http(`${base}/cgi-bin/stable_token`, 'POST', { grant_type: 'client_credential', appid: APPID, secret: SECRET, force_refresh: forceRefresh })).body.access_token;
/** The call's errcode; 0 for an answer without one (menu/get answers `{ menu }`). */
const errcodeOf = async (call: Promise<{ status: number; body: any }>): Promise<number> => {
  const { status, body } = await call;
  expect(status).to.equal(200);
  return body.errcode ?? 0;
};

/** The same tests on every store that keeps platform values. */
function describeTokensOn(name: string, makeStore: () => ChatStore) {
  describe(`access tokens on ${name}`, () => {
    it('refuses the store’s own keys and forged tokens (40001); a replaced token works 5 more minutes, then 42001', async () => {
      let now = Date.now();
      const sim = await platformSimulatorOn(makeStore(), undefined, { now: () => now });
      try {
        const token = await accessToken(sim.url);
        const stable = await stableToken(sim.url);
        expect(await errcodeOf(cgi(sim.url, 'menu/create', token, BUTTON))).to.equal(0);
        // What the store keeps under its key names, and tokens that look right but were not signed here.
        const forged = [token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), 'A'.repeat(token.length), `${token}A`];
        const keys = ['latest', 'stable', 'menu', 'access_token:latest', 'access_token:stable', 'token:latest', 'rules'];
        for (const guess of [...keys, ...forged]) {
          expect(await errcodeOf(cgi(sim.url, 'menu/create', guess, BUTTON)), guess).to.equal(40001);
          expect(await errcodeOf(cgi(sim.url, 'menu/get', guess)), guess).to.equal(40001);
        }

        const next = await accessToken(sim.url);
        now += 5 * MINUTE - 1000;
        expect(await errcodeOf(cgi(sim.url, 'menu/get', token))).to.equal(0);
        now += 2000;
        expect(await errcodeOf(cgi(sim.url, 'menu/get', token))).to.equal(42001);
        expect(await errcodeOf(cgi(sim.url, 'menu/get', next))).to.equal(0);
        expect(await stableToken(sim.url, true)).to.not.equal(stable);
        expect(await errcodeOf(cgi(sim.url, 'menu/get', stable))).to.equal(42001);
      } finally {
        await sim.close();
      }
    });
  });
}

describe('access tokens: the stores', () => {
  const tmp = eachTestTempDir();
  describeTokensOn('lowdb files', () => new LowStore(fileLocation(tmp.dbFile)));

  describe('with a redis-server of its own', () => {
    let redis: RedisServer;
    let stores = 0;
    before(async () => {
      redis = await startRedis();
    });
    after(() => redis?.stop());
    describeTokensOn('Redis', () => new RedisStore({ url: redis.url, prefix: `tokens${++stores}:` }));
  });

  it('the token records are their owner’s only (0600), also when one or a leftover temporary file was readable by others', async () => {
    // The record of the last token handed out: db.records/tokens/<shard>/<hash of its key>.json.
    const name = createHash('sha256').update('latest').digest('hex').slice(0, 40);
    const file = path.join(tmp.dir, 'db.records', 'tokens', name.slice(0, 2), `${name}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(path.join(path.dirname(file), `.${name}.json.tmp`), 'left by a crash', { mode: 0o644 });
    const sim = await platformSimulator(undefined, {}, fileLocation(tmp.dbFile));
    try {
      await accessToken(sim.url);
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      await chmod(file, 0o644);
      await accessToken(sim.url);
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
    } finally {
      await sim.close();
    }
  });
});

describe('access tokens: across restarts', () => {
  it('a token works on a freshly started simulator with the same appid and secret and an empty store, until it expires; not on one with another secret', async () => {
    const first = await platformSimulator(undefined);
    const token = await accessToken(first.url);
    const stable = await stableToken(first.url);
    await first.close();

    let now = Date.now();
    const second = await platformSimulator(undefined, { now: () => now });
    const otherSecret = await platformSimulator(undefined, { secret: 'another-secret-of-the-account' });
    try {
      expect(await errcodeOf(cgi(second.url, 'menu/create', token, BUTTON))).to.equal(0);
      expect(await errcodeOf(cgi(second.url, 'menu/get', stable))).to.equal(0);
      expect(await errcodeOf(cgi(otherSecret.url, 'menu/get', token))).to.equal(40001);
      now += 7200 * 1000;
      expect(await errcodeOf(cgi(second.url, 'menu/get', token))).to.equal(42001);
    } finally {
      await second.close();
      await otherSecret.close();
    }
  });

  it('wechat-api keeps its token across a restart of the simulator: its next call succeeds', async () => {
    const api = new WechatAPI(APPID, SECRET);
    const createMenu = promisify(api.createMenu.bind(api));
    const first = await platformSimulator(undefined);
    let second: Awaited<ReturnType<typeof platformSimulator>> | undefined;
    try {
      api.endpoint = first.url;
      const { accessToken: token } = await promisify(api.getLatestToken.bind(api))();
      expect((await createMenu(BUTTON)).errcode).to.equal(0);
      await first.close();

      second = await platformSimulator(undefined);
      api.endpoint = second.url;
      expect((await createMenu({ button: [{ type: 'click', name: 'News', key: 'news' }] })).errcode).to.equal(0);
      // The same token, not a new one fetched after a refusal.
      expect((await promisify(api.getLatestToken.bind(api))()).accessToken).to.equal(token);
      expect((await cgi(second.url, 'menu/get', token)).body.menu.button[0].key).to.equal('news');
    } finally {
      await first.close();
      await second?.close();
    }
  });
});
