// The lowdb store killed at every step of a checkpoint: new users' files are written in place (no temporary
// file, no rename), a new segment of a known user too, and the folders are synced once at the end. Whatever
// step the process dies at, with that step's file cut in half, the next start has every acknowledged message,
// once, and refuses nothing.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { StoredMessage } from '../server/contract.ts';
import { fileLocation, type StoreLocation } from '../server/store/low-location.ts';
import { fileStore, LowStore } from '../server/store/low-store.ts';
import { eachTestTempDir } from './helpers.ts';

const message = (userId: string, n: number): StoredMessage => ({
  type: 'text',
  text: `message ${n} of ${userId}`,
  id: `${userId}-${String(n).padStart(4, '0')}`,
  userId,
  from: 'user',
  createdAt: new Date(1_700_000_000_000 + n).toISOString(),
});

/** The same messages from two turns' ids: what history must return. */
const idsOf = (userId: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message(userId, from + i).id);

/**
 * `location` that dies at its `crashAt`-th step of writing user files: a file write in place leaves the first
 * half of its text, a replacement leaves the old file (its temporary file is never renamed), and nothing
 * after that step happens, as when the process is killed there.
 */
function dyingAt(location: StoreLocation, crashAt: number): { location: StoreLocation; steps: () => string[] } {
  const steps: string[] = [];
  let dead = false;
  const step = async (what: string, work: () => Promise<void>, torn?: () => void) => {
    if (dead) throw new Error('killed');
    steps.push(what);
    if (steps.length === crashAt) {
      dead = true;
      torn?.();
      throw new Error('killed');
    }
    await work();
  };
  return {
    steps: () => steps,
    location: {
      ...location,
      user: (key) => {
        const files = location.user(key);
        const dir = path.join(path.dirname(location.describe), 'db.users', key);
        return {
          ...files,
          prepare: () => step(`prepare ${key.slice(0, 6)}`, files.prepare),
          create: (name, text) =>
            step(`create ${key.slice(0, 6)}/${name}`, () => files.create(name, text), () => {
              mkdirSync(dir, { recursive: true });
              writeFileSync(path.join(dir, `${name}.json`), text.slice(0, text.length >> 1));
            }),
          replace: (name, text) => step(`replace ${key.slice(0, 6)}/${name}`, () => files.replace(name, text)),
          sync: () => step(`sync ${key.slice(0, 6)}`, files.sync),
        };
      },
      syncUsers: () => step('sync folders', location.syncUsers),
    },
  };
}

describe('store: a crash at any step of a checkpoint', function () {
  this.timeout(30_000);
  const tmp = eachTestTempDir();

  it('loses no acknowledged message and starts, whatever step it dies at', async () => {
    const session = { subscribed: true };
    let crashAt = 1;
    for (; ; crashAt++) {
      const dir = path.join(tmp.dir, `crash-${crashAt}`);
      mkdirSync(dir);
      const dbFile = path.join(dir, 'db.json');
      // carol is known: 100 messages in her files, so her next turn starts a new segment.
      const before = fileStore(dbFile);
      await before.open([]);
      for (let n = 1; n <= 100; n++) await before.commit('carol', { messages: [message('carol', n)], session });
      await before.close();

      const dying = dyingAt(fileLocation(dbFile), crashAt);
      const store = new LowStore(dying.location, { checkpointMs: 60_000 });
      await store.open([]);
      // alice and bob are new: their whole folders are written by this checkpoint.
      for (const userId of ['alice', 'bob']) {
        await store.commit(userId, { messages: [message(userId, 1), message(userId, 2)], session, clientId: `${userId}-c1` });
        await store.commit(userId, { messages: [message(userId, 3)], session: { subscribed: false } });
      }
      await store.commit('carol', { messages: [message('carol', 101), message('carol', 102)], session, clientId: 'carol-c51' });
      const finished = await store.checkpoint().then(() => true, () => false);
      const steps = dying.steps().length;
      await store.close(); // a dead location writes nothing more: the files stay as the crash left them
      if (finished) expect(steps, 'the checkpoint that finished died at no step').to.be.below(crashAt);

      const warnings: string[] = [];
      const reopened = fileStore(dbFile, { warn: (m) => warnings.push(m) });
      await reopened.open([]);
      const at = `dying at step ${crashAt} (${dying.steps().at(-1)})`;
      for (const userId of ['alice', 'bob']) {
        expect((await reopened.history(userId, { limit: 10 }))!.map((m) => m.id), at).to.deep.equal(idsOf(userId, 1, 3));
        expect((await reopened.openTurn(userId)).user!.session, at).to.deep.equal({ subscribed: false });
        expect((await reopened.openTurn(userId, `${userId}-c1`)).earlier!.replies.map((m) => m.id), at).to.deep.equal([message(userId, 2).id]);
      }
      expect((await reopened.history('carol', { limit: 200 }))!.map((m) => m.id), at).to.deep.equal(idsOf('carol', 1, 102));
      expect((await reopened.openTurn('carol', 'carol-c51')).earlier!.message.id, at).to.equal(message('carol', 101).id);
      expect(warnings, at).to.deep.equal([]);
      expect(readdirSync(dir).filter((f) => f.includes('journal')), `${at}: the replay wrote it all`).to.deep.equal([]);
      await reopened.close();
      if (finished) break;
    }
    // Every step of that checkpoint was a place to die: two new users' folders and files, carol's new segment, the syncs.
    expect(crashAt).to.be.at.least(11);
  });

  it('writes a new user\'s files in place and syncs each folder once, where a known user\'s files are replaced', async () => {
    const log: string[] = [];
    const files = fileLocation(tmp.dbFile);
    const watched: StoreLocation = {
      ...files,
      user: (key) => {
        const inner = files.user(key);
        const note = (what: string) => log.push(`${what} ${key === keys.alice ? 'alice' : 'carol'}`);
        return {
          ...inner,
          exists: () => (note('exists'), inner.exists()),
          read: (name) => (note(`read ${name}`), inner.read(name)),
          create: (name, text) => (note(`create ${name}`), inner.create(name, text)),
          replace: (name, text) => (note(`replace ${name}`), inner.replace(name, text)),
          sync: () => (note('sync'), inner.sync()),
        };
      },
      syncUsers: () => (log.push('sync folders'), files.syncUsers()),
    };
    const keys: Record<string, string> = {};
    const { createHash } = await import('node:crypto');
    for (const u of ['alice', 'carol']) keys[u] = createHash('sha256').update(u).digest('hex').slice(0, 40);
    const session = { subscribed: true };
    const seeded = fileStore(tmp.dbFile);
    await seeded.open([]);
    for (let n = 1; n <= 100; n++) await seeded.commit('carol', { messages: [message('carol', n)], session });
    await seeded.close();

    const store = new LowStore(watched, { checkpointMs: 60_000 });
    await store.open([]);
    expect((await store.openTurn('alice')).user).to.equal(undefined);
    await store.commit('alice', { messages: [message('alice', 1)], session });
    await store.commit('carol', { messages: [message('carol', 101)], session });
    await store.checkpoint();
    const checkpointed = [...log];
    await store.close();
    expect(checkpointed).to.deep.equal([
      'exists alice', // a new user: asked without reading anything
      'exists carol',
      'read meta carol',
      'read seg-000000 carol',
      'create seg-000000 alice', // alice's files are new: in place
      'create meta alice',
      'create seg-000001 carol', // carol's new segment: in place, and named by her meta only once its name is synced
      'sync carol',
      'replace meta carol',
      'sync folders', // once, for every folder written in
    ]);
    const [aliceDir] = readdirSync(path.join(tmp.dir, 'db.users')).filter((d) => d === keys.alice);
    expect(readdirSync(path.join(tmp.dir, 'db.users', aliceDir!)).sort()).to.deep.equal(['meta.json', 'seg-000000.json']);
  });

  it('writes each message\'s JSON once: the segment file has the bytes of the journal line, not a later serialisation', async () => {
    const store = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await store.open([]);
    const first = message('alice', 1);
    await store.commit('alice', { messages: [first], session: { subscribed: true } });
    const line = readFileSync(tmp.journalFile, 'utf8');
    (first as { text: string }).text = 'changed after it was stored'; // what a later serialisation would see
    await store.checkpoint();
    await store.close();
    const [dir] = readdirSync(path.join(tmp.dir, 'db.users'));
    const segment = readFileSync(path.join(tmp.dir, 'db.users', dir!, 'seg-000000.json'), 'utf8');
    const json = JSON.stringify(message('alice', 1));
    expect(line).to.include(json);
    expect(segment).to.equal(`{"first":0,"session":{"subscribed":true},"messages":[${json}],"answers":{}}`);
  });
});
