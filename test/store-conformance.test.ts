// The conformance suite against every store: in memory, lowdb files, and Redis (a redis-server of its own).
import path from 'node:path';
import { expect } from 'chai';
import { fileLocation, memoryLocation, type StoreLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { failingJournal, tempDir } from './helpers.ts';
import type { RedisClient } from '../server/store/redis/connection.ts';
import { deleteMatching, suiteRedis, suiteRedisCluster } from './redis-helpers.ts';
import { describeChatStore } from './store-conformance.ts';

/** A lowdb store whose journal refuses appends while broken, as a full disk would. */
function lowStore(location: StoreLocation, reopen: boolean, cleanup: () => Promise<void> = async () => {}) {
  let broken = false;
  const failing = failingJournal(location, () => (broken ? Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }) : undefined));
  return {
    store: new LowStore(failing),
    breakCommits: async () => void (broken = true),
    repair: async () => void (broken = false),
    reopen: reopen ? () => new LowStore(location) : undefined,
    cleanup,
  };
}

describeChatStore('memory', async () => lowStore(memoryLocation(), false));

describeChatStore('lowdb files', async () => {
  const tmp = await tempDir();
  return lowStore(fileLocation(path.join(tmp.dir, 'db.json')), true, tmp.remove);
});

/** The conformance suite on a Redis (or a cluster) the enclosing suite started; a prefix per test, so each sees an empty store. */
function describeRedisStore(name: string, redis: () => { url: string; cluster: boolean; admin: RedisClient }): void {
  let stores = 0;
  describeChatStore(name, async () => {
    const prefix = `t${++stores}:`;
    const { url, cluster, admin } = redis();
    const make = () => new RedisStore({ url, cluster, prefix });
    return {
      store: make(),
      // The answers hash is written last by the commit script; a string there makes the script fail.
      breakCommits: async (userId) => void (await admin.set(`${prefix}answers:{${userId}}`, 'not a hash')),
      repair: async (userId) => void (await admin.del(`${prefix}answers:{${userId}}`)),
      reopen: make,
      shared: make,
      cleanup: () => deleteMatching(admin, `${prefix}*`),
    };
  });
}

describe('on a Redis Cluster of its own (three masters)', function () {
  const redis = suiteRedisCluster();
  describeRedisStore('Redis Cluster', () => ({ url: redis.cluster.url, cluster: true, admin: redis.admin }));
});

describe('with a redis-server of its own', function () {
  const redis = suiteRedis();
  describeRedisStore('Redis', () => ({ url: redis.server.url, cluster: false, admin: redis.admin }));

  it('moves the values an earlier version kept (the menu, followers) into records at open, with their time to live', async () => {
    const menu = { button: [{ type: 'click', name: 'Old', key: 'OLD' }] };
    await redis.admin.set('legacy:value:{menu}', JSON.stringify(menu));
    await redis.admin.set('legacy:value:{openid:oAbc}', JSON.stringify({ userId: 'abc', subscribed: true, subscribeTime: 1 }), 'PX', 600_000);
    const store = new RedisStore({ url: redis.server.url, prefix: 'legacy:' });
    await store.open([]);
    try {
      expect(await store.records('menu').get('buttons')).to.deep.equal(menu);
      expect(await store.records('followers').get('oAbc')).to.deep.include({ userId: 'abc', subscribed: true });
      expect(await redis.admin.pttl('legacy:record:{followers:oAbc}')).to.be.within(1, 600_000);
      expect(await redis.admin.keys('legacy:value:*'), 'the old keys are gone once moved').to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it('renames the rules and media an earlier version kept without a hash tag at open, and leaves a key already moved as it is', async () => {
    const rules = [{ id: 'old', name: 'old', keywords: [{ text: 'old', match: 'equal' }], replies: [{ type: 'text', text: 'from before' }] }];
    const createdAt = new Date().toISOString();
    await redis.admin.set('untagged:rules', JSON.stringify(rules));
    await redis.admin.set('untagged:rules-version', '3');
    await redis.admin.hset('untagged:media:{m1}', 'record', JSON.stringify({ mediaId: 'm1', type: 'image', contentType: 'image/png', size: 5, createdAt }), 'bytes', 'hello');
    await redis.admin.pexpire('untagged:media:{m1}', 600_000);
    await redis.admin.zadd('untagged:media-live', Date.now() + 600_000, 'm1:5');
    await redis.admin.set('untagged:media-bytes', '5');
    await redis.admin.set('untagged:media-bytes:{media}', '7'); // as if moved already, and changed since
    const store = new RedisStore({ url: redis.server.url, prefix: 'untagged:', mediaQuotaBytes: 12 });
    await store.open([]);
    try {
      expect(store.rules().map((r) => r.id)).to.deep.equal(['old']);
      expect((await store.getMedia('m1'))?.bytes.toString()).to.equal('hello');
      expect(await redis.admin.pttl('untagged:media:{media}:m1')).to.be.within(1, 600_000);
      expect(await redis.admin.get('untagged:media-bytes:{media}'), 'the key already moved').to.equal('7');
      const left = (await redis.admin.keys('untagged:*')).sort();
      expect(left).to.deep.equal(['untagged:media-bytes', 'untagged:media-bytes:{media}', 'untagged:media-live:{media}', 'untagged:media:{media}:m1', 'untagged:rules-version:{rules}', 'untagged:rules:{rules}']);
    } finally {
      await store.close();
    }
  });

  it('renews the locks of turns that outlast the expiry, and lets them go at the end', async () => {
    const lock = { ttlMs: 300, waitMs: 5000 };
    const [store, other] = [0, 1].map(() => new RedisStore({ url: redis.server.url, prefix: 'renew:', lock }));
    await Promise.all([store!.open([]), other!.open([])]);
    try {
      const order: string[] = [];
      const long = (user: string) =>
        store!.withUserLock(user, async () => {
          await new Promise((r) => setTimeout(r, 1000)); // three expiries
          await store!.commit(user, { messages: [], session: { subscribed: true } });
          order.push(`long ${user}`);
        });
      const turns = [long('alice'), long('bob')];
      // Both locks taken before the other store asks for one.
      for (const start = Date.now(); (await redis.admin.exists('renew:lock:{alice}', 'renew:lock:{bob}')) !== 2; ) {
        if (Date.now() - start > 1000) throw new Error('the long turns did not take their locks');
        await new Promise((r) => setTimeout(r, 5));
      }
      await other!.withUserLock('alice', async () => void order.push('other alice'));
      await Promise.all(turns);
      // Bob's long turn ends at about the moment alice's lock is let go: its place against the other store's turn is a race.
      expect(order.filter((turn) => turn.endsWith('alice')), 'the other store waited for the long turn').to.deep.equal(['long alice', 'other alice']);
      expect(order, 'bob kept his lock through three expiries too').to.include('long bob');
      expect(await redis.admin.exists('renew:lock:{alice}', 'renew:lock:{bob}'), 'both let go').to.equal(0);
    } finally {
      await Promise.all([store!.close(), other!.close()]);
    }
  });

  it('takes the locks of turns started together in one script and commits them in one, each turn stored or refused on its own', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'batch:' });
    await store.open([]);
    const scripts = async () => {
      const stats = await redis.admin.info('commandstats');
      return ['evalsha', 'eval'].reduce((n, name) => n + Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0), 0);
    };
    const turn = (userId: string, text: string) =>
      store.withUserLock(userId, async () => {
        await store.openTurn(userId);
        const message = { id: `m-${userId}-${text}`, userId, from: 'user' as const, createdAt: new Date().toISOString(), type: 'text' as const, text };
        await store.commit(userId, { messages: [message], session: { subscribed: true }, endsTurn: true });
      });
    try {
      await Promise.all(['alice', 'bob', 'carol'].map((user) => turn(user, 'first'))); // the scripts are loaded into Redis from here on
      await redis.admin.set('batch:watchers:{bob}', 'not a hash');
      const before = await scripts();
      const outcomes = await Promise.allSettled(['alice', 'bob', 'carol'].map((user) => turn(user, 'second')));
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).to.include({ kind: 'unavailable' });
      // One script took the three locks, one committed the three turns, and one let bob's lock go after his refused commit.
      expect((await scripts()) - before, 'three scripts, not one a lock and one a commit').to.equal(3);
      const texts = async (user: string) => ((await store.history(user, { limit: 10 })) ?? []).map((m) => (m as { text?: string }).text);
      expect(await texts('alice')).to.deep.equal(['first', 'second']);
      expect(await texts('bob'), 'the refused turn wrote nothing').to.deep.equal(['first']);
      expect(await texts('carol')).to.deep.equal(['first', 'second']);
      expect(await redis.admin.exists('batch:lock:{alice}', 'batch:lock:{bob}', 'batch:lock:{carol}'), 'every lock let go').to.equal(0);
    } finally {
      await store.close();
    }
  });

  it('refuses a commit whose watchers key is not a hash before writing anything', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'watchers:' });
    await store.open([]);
    try {
      await redis.admin.set('watchers:watchers:{alice}', 'not a hash');
      const refused = await store.commit('alice', { messages: [], session: { subscribed: true } }).then(() => undefined, (err: { kind?: string }) => err.kind);
      expect(refused).to.equal('unavailable');
      expect((await store.openTurn('alice')).user, 'nothing stored').to.equal(undefined);
    } finally {
      await store.close();
    }
  });

  it('refuses the commit of a turn whose lock went to another process (fencing)', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'fence:' });
    await store.open([]);
    try {
      const refused = await store
        .withUserLock('alice', async () => {
          // As if this turn paused past the lock's expiry and another process took the user over.
          await redis.admin.set('fence:lock:{alice}', 'another process');
          await store.commit('alice', { messages: [], session: { subscribed: true } });
        })
        .then(() => undefined, (err: { kind?: string }) => err.kind);
      expect(refused).to.equal('unavailable');
      expect((await store.openTurn('alice')).user).to.equal(undefined);
    } finally {
      await store.close();
    }
  });
});
