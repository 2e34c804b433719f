// The lowdb store's parts on their own: the checkpointer's states, the user-log cache's pins, the move of
// an earlier version's db.json values to records.
import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Checkpointer, type Scheduler } from '../server/store/checkpointer.ts';
import { fileStore } from '../server/store/low-store.ts';
import { eachTestTempDir, seedContent } from './helpers.ts';

/** A scheduler the test fires by hand. */
function manualScheduler(): { scheduler: Scheduler; fire: () => void; pending: () => number } {
  let callbacks: (() => void)[] = [];
  return {
    scheduler: (_ms, callback) => {
      callbacks.push(callback);
      return () => (callbacks = callbacks.filter((c) => c !== callback));
    },
    fire: () => {
      const due = callbacks;
      callbacks = [];
      for (const callback of due) callback();
    },
    pending: () => callbacks.length,
  };
}

describe('lowdb store: the checkpointer', () => {
  it('goes idle → scheduled → running → idle, retries a failed run, and runs a last one at close', async () => {
    const clock = manualScheduler();
    let dirty = 1;
    let fail = true;
    let runs = 0;
    const checkpointer = new Checkpointer(
      async () => {
        runs++;
        if (fail) throw new Error('disk full');
        dirty = 0;
      },
      { delayMs: 2000, needed: () => dirty > 0, scheduler: clock.scheduler },
    );
    expect(checkpointer.state).to.equal('idle');
    checkpointer.request();
    checkpointer.request();
    expect([checkpointer.state, clock.pending()]).to.deep.equal(['scheduled', 1]);
    clock.fire();
    expect(checkpointer.state).to.equal('running');
    await checkpointer.run().catch(() => undefined);
    expect([checkpointer.state, runs, clock.pending()]).to.deep.equal(['scheduled', 1, 1]); // the retry
    fail = false;
    clock.fire();
    await checkpointer.run().catch(() => undefined);
    expect([checkpointer.state, runs, clock.pending()]).to.deep.equal(['idle', 2, 0]);
    dirty = 1;
    checkpointer.request();
    await checkpointer.close();
    expect([checkpointer.state, runs, clock.pending()]).to.deep.equal(['closed', 3, 0]);
    checkpointer.request();
    expect(clock.pending()).to.equal(0);
  });
});

describe('lowdb store: the user-log cache and earlier versions', () => {
  const tmp = eachTestTempDir();
  const at = new Date().toISOString();
  const message = (userId: string, n: number) => ({ type: 'text' as const, text: `text ${n}`, id: `m${n}`, userId, from: 'user' as const, createdAt: at });

  it('never forgets a user whose turn is between reading the log and writing to it', async () => {
    const clock = manualScheduler();
    const store = fileStore(tmp.dbFile, { cachedUsers: 1, scheduler: clock.scheduler });
    await store.open([]);
    try {
      await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
      await store.checkpoint(); // alice is written and idle: the cache may forget her
      // Bob's read starts an eviction that looks at alice while her commit is already under way.
      await Promise.all([store.openTurn('bob'), store.commit('alice', { messages: [message('alice', 2)], session: { subscribed: true } })]);
      await store.commit('alice', { messages: [message('alice', 3)], session: { subscribed: true } });
      const texts = (await store.history('alice', { limit: 10 }))!.map((m) => (m as { text: string }).text);
      expect(texts).to.deep.equal(['text 1', 'text 2', 'text 3']);
    } finally {
      await store.close();
    }
  });

  it('opens a db.json with the values of an earlier version and moves them to records, dropping only lapsed ones', async () => {
    const later = Date.now() + 3_600_000;
    const values = {
      'openid:oABC': { value: { userId: 'alice', subscribed: true, subscribeTime: 1 } },
      'access_token:latest': { value: { id: 't1', expiresAt: later }, expiresAt: later },
      'access_token:shortened:t0': { value: { validUntil: 1 }, expiresAt: 1 },
      menu: { value: [{ type: 'click', name: 'A', key: 'a' }] },
    };
    await writeFile(tmp.dbFile, JSON.stringify({ version: 1, rules: seedContent().seedRules, values }));
    const store = fileStore(tmp.dbFile);
    await store.open([]);
    try {
      expect(await store.records('followers').get('oABC')).to.deep.equal(values['openid:oABC'].value);
      expect(await store.records('tokens').get('latest')).to.deep.equal(values['access_token:latest'].value);
      expect(await store.records('tokens').get('shortened:t0')).to.equal(undefined);
      expect(await store.records('menu').get('buttons')).to.deep.equal(values.menu.value);
      expect(JSON.parse(await readFile(tmp.dbFile, 'utf8'))).to.not.have.property('values');
      expect(store.rules()).to.deep.equal(seedContent().seedRules);
    } finally {
      await store.close();
    }
  });
});
