import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Memory, type Adapter } from 'lowdb';
import type { StoredMessage } from '../server/contract.ts';
import { StoreError } from '../server/store/chat-store.ts';
import { fileLocation, LowStore, memoryLocation, type StoreLocation } from '../server/store/low-store.ts';
import { AppError } from '../server/errors.ts';
import { seedContent, tempDir } from './helpers.ts';

const message = (userId: string, n: number): StoredMessage => ({
  type: 'text',
  text: `message ${n}`,
  id: `m${String(n).padStart(6, '0')}`,
  userId,
  from: 'user',
  createdAt: new Date(1_700_000_000_000 + n).toISOString(),
});

describe('store: lowdb on disk', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let dbFile: string;
  const rules = seedContent().seedRules;
  beforeEach(async () => {
    tmp = await tempDir();
    dbFile = path.join(tmp.dir, 'db.json');
  });
  afterEach(() => tmp.remove());

  it('seeds the rules into a new file, and keeps users in files of their own', async () => {
    const store = new LowStore(fileLocation(dbFile));
    await store.open(rules);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    const main = JSON.parse(readFileSync(dbFile, 'utf8'));
    expect(main.rules.map((r: { id: string }) => r.id)).to.deep.equal(rules.map((r) => r.id));
    expect(JSON.stringify(main)).not.to.include('message 1');
  });

  it('keeps messages, sessions and answers across a restart, and pages history with "before"', async () => {
    const first = new LowStore(fileLocation(dbFile));
    await first.open(rules);
    for (let n = 1; n <= 10; n += 2) {
      await first.commit('alice', { messages: [message('alice', n), message('alice', n + 1)], session: { subscribed: true }, clientId: `c${n}` });
    }
    await first.close();

    const second = new LowStore(fileLocation(dbFile));
    await second.open([]);
    expect(second.rules().length).to.equal(rules.length); // seeded once, not re-seeded
    expect((await second.getUser('alice'))?.session).to.deep.equal({ subscribed: true });
    expect((await second.history('alice', { limit: 3 }))!.map((m) => m.id)).to.deep.equal(['m000008', 'm000009', 'm000010']);
    expect((await second.history('alice', { limit: 3, before: 'm000008' }))!.map((m) => m.id)).to.deep.equal(['m000005', 'm000006', 'm000007']);
    expect(await second.history('alice', { limit: 3, before: 'nope' })).to.equal(undefined);
    expect(await second.history('bob', { limit: 3 })).to.deep.equal([]);
    const exchange = await second.findExchange('alice', 'c3');
    expect(exchange?.message.id).to.equal('m000003');
    expect(exchange?.replies.map((m) => m.id)).to.deep.equal(['m000004']);
  });

  for (const [what, content, reason] of [
    ['not JSON', '{"version": 1, "rules": [', /not valid JSON/],
    ['empty', '', /not valid JSON/],
    ['of the wrong shape', '{"version": 1, "rules": "no"}', /rules/],
    ['of another version', '{"version": 2, "rules": []}', /version/],
  ] as const) {
    it(`refuses to start on a data file that is ${what}, and leaves it as it was`, async () => {
      writeFileSync(dbFile, content);
      const store = new LowStore(fileLocation(dbFile));
      try {
        await store.open(rules);
        expect.fail('should have refused');
      } catch (err) {
        expect(err).to.be.instanceOf(StoreError);
        expect((err as Error).message).to.include(dbFile).and.match(reason).and.match(/left as it is/);
      }
      expect(readFileSync(dbFile, 'utf8')).to.equal(content);
    });
  }

  it('refuses a damaged user file with storage_unavailable and leaves it as it was', async () => {
    const store = new LowStore(fileLocation(dbFile));
    await store.open(rules);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    const usersDir = path.join(tmp.dir, 'db.users');
    const [file] = (await import('node:fs')).readdirSync(usersDir);
    writeFileSync(path.join(usersDir, file!), '{"userId": "alice", "mess');
    const reopened = new LowStore(fileLocation(dbFile));
    await reopened.open(rules);
    try {
      await reopened.getUser('alice');
      expect.fail('should have refused');
    } catch (err) {
      expect((err as AppError).code).to.equal('storage_unavailable');
    }
    expect(readFileSync(path.join(usersDir, file!), 'utf8')).to.equal('{"userId": "alice", "mess');
  });
});

describe('store: a failing disk', () => {
  it('rejects a commit it could not write, and keeps nothing of it', async () => {
    let failing = false;
    const adapters = new Map<string, Adapter<unknown>>();
    const location: StoreLocation = {
      ...memoryLocation(),
      adapter: <T>(name: string) => {
        if (!adapters.has(name)) {
          const memory = new Memory<unknown>();
          adapters.set(name, {
            read: () => memory.read(),
            write: async (data) => {
              if (failing) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
              await memory.write(data);
            },
          });
        }
        return adapters.get(name) as Adapter<T>;
      },
    };
    const store = new LowStore(location);
    await store.open([]);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    failing = true;
    try {
      await store.commit('alice', { messages: [message('alice', 2)], session: { subscribed: false }, clientId: 'x' });
      expect.fail('should have failed');
    } catch (err) {
      expect((err as AppError).code).to.equal('storage_unavailable');
      expect((err as Error).message).to.include('ENOSPC');
    }
    expect((await store.history('alice', { limit: 10 }))!.map((m) => m.id)).to.deep.equal(['m000001']);
    expect((await store.getUser('alice'))!.session).to.deep.equal({ subscribed: true });
    expect(await store.findExchange('alice', 'x')).to.equal(undefined);
    failing = false;
    await store.commit('alice', { messages: [message('alice', 3)], session: { subscribed: true } });
    expect((await store.history('alice', { limit: 10 }))!.map((m) => m.id)).to.deep.equal(['m000001', 'm000003']);
  });
});
