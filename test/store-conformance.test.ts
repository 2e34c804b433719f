// The conformance suite against every store: in memory, lowdb files, and Redis (a redis-server of its own).
import path from 'node:path';
import { expect } from 'chai';
import { fileLocation, memoryLocation, type StoreLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { failingJournal, tempDir } from './helpers.ts';
import { suiteRedis } from './redis-helpers.ts';
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

describe('with a redis-server of its own', function () {
  const redis = suiteRedis();
  let stores = 0;

  describeChatStore('Redis', async () => {
    // A prefix per test: each test sees an empty store on the same Redis.
    const prefix = `t${++stores}:`;
    const make = () => new RedisStore({ url: redis.server.url, prefix });
    return {
      store: make(),
      // The answers hash is written last by the commit script; a string there makes the script fail.
      breakCommits: async (userId) => void (await redis.admin.set(`${prefix}answers:{${userId}}`, 'not a hash')),
      repair: async (userId) => void (await redis.admin.del(`${prefix}answers:{${userId}}`)),
      reopen: make,
      shared: make,
      cleanup: async () => {
        const keys = await redis.admin.keys(`${prefix}*`);
        if (keys.length) await redis.admin.del(...keys);
      },
    };
  });

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
