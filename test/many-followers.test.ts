// Acceptance: a lowdb store in front of a target, with 20 000 fresh users each making their first turn,
// writes no file whose size grows with the number of users: what a new user costs stays the same. The files
// are the lowdb store's own (db.json, each user's files, one per record) with their contents kept in memory:
// the same writes, without 60 000 fsyncs that would make it a nine-minute test.
import { expect } from 'chai';
import type { Adapter } from 'lowdb';
import { buildKnowledge } from '../server/bot/knowledge.ts';
import { ChatService, type Responder } from '../server/core/chat-service.ts';
import { Followers } from '../server/platform/users.ts';
import { memoryLocation, type StoreLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { seedContent } from './helpers.ts';

const USERS = 20_000;
const AT_ONCE = 200; // users whose first turns run together, as many browsers would

/** `location` with every whole-file write recorded: the file's name and the bytes it was written with. */
function measured(location: StoreLocation, writes: { file: string; bytes: number }[]): StoreLocation {
  const recorded = <T>(file: string, adapter: Adapter<T>): Adapter<T> => ({
    read: () => adapter.read(),
    write: async (data) => {
      writes.push({ file, bytes: Buffer.byteLength(JSON.stringify(data)) });
      await adapter.write(data);
    },
  });
  return {
    ...location,
    main: () => recorded('db.json', location.main()),
    apiCalls: () => {
      const files = location.apiCalls();
      return { ...files, adapter: recorded('db.api-calls.json', files.adapter) };
    },
    user: (key) => {
      const files = location.user(key);
      const write = (how: 'replace' | 'create') => async (name: string, text: Buffer) => {
        writes.push({ file: `${files.describe}/${name}`, bytes: Buffer.byteLength(text) });
        await files[how](name, text);
      };
      return { ...files, replace: write('replace'), create: write('create') };
    },
    records: () => {
      const files = location.records();
      return {
        ...files,
        write: async (kind, name, text) => {
          writes.push({ file: files.describe(kind, name), bytes: Buffer.byteLength(text) });
          await files.write(kind, name, text);
        },
      };
    },
  };
}

describe('lowdb: 20 000 fresh users in front of a target', function () {
  this.timeout(120_000);

  it('writes no file whose size grows with the number of users', async () => {
    const writes: { file: string; bytes: number }[] = [];
    const store = new LowStore(measured(memoryLocation(), writes));
    await store.open(seedContent().seedRules);
    const content = seedContent();
    const knowledge = buildKnowledge({ account: content.account, article: content.article, rules: store.rules() });
    const target: Responder = async ({ session }) => ({ replies: [], session });
    // The pipeline as in front of a target: each first turn indexes the user's OpenID and commits their follower state.
    const service = new ChatService({ store, knowledge, responder: target, followers: new Followers(store) });
    const firstTurn = (n: number) => service.receive(`user-${String(n).padStart(6, '0')}`, { type: 'text', text: 'hello' });
    const largestFor = async (from: number, to: number) => {
      const start = writes.length;
      for (let n = from; n < to; n += AT_ONCE) await Promise.all(Array.from({ length: Math.min(AT_ONCE, to - n) }, (_, i) => firstTurn(n + i)));
      await store.checkpoint(); // the users' own files, written as the checkpoints would
      const mine = writes.slice(start);
      return { count: mine.length, largest: mine.reduce((most, w) => (w.bytes > most.bytes ? w : most), { file: '', bytes: 0 }) };
    };
    try {
      const firstHalf = await largestFor(0, USERS / 2);
      const secondHalf = await largestFor(USERS / 2, USERS);
      console.log(`      ${USERS} users: ${firstHalf.count + secondHalf.count} whole-file writes; the largest ${firstHalf.largest.bytes} B (${firstHalf.largest.file}) for the first ${USERS / 2}, ${secondHalf.largest.bytes} B (${secondHalf.largest.file}) for the next`);
      expect(writes.filter((w) => w.file === 'db.json').length, 'db.json written per user').to.be.at.most(1);
      // Twice the users, and the largest file a new user writes is as large (give or take a digit of a count).
      expect(secondHalf.largest.bytes).to.be.at.most(firstHalf.largest.bytes + 8);
      expect(secondHalf.count).to.be.at.most(firstHalf.count);
    } finally {
      await service.stop();
      await store.close();
    }
  });
});
