import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { StoredMessage } from '../server/contract.ts';
import { StoreError } from '../server/store/chat-store.ts';
import { fileStore, LowStore } from '../server/store/low-store.ts';
import { fileLocation, memoryLocation, type StoreLocation } from '../server/store/low-location.ts';
import { SEGMENT_SIZE, UNWRITTEN_SEGMENT_SIZE, type UserFiles } from '../server/store/user-log.ts';
import { eachTestTempDir, failingJournal, rejection, seedContent } from './helpers.ts';

const message = (userId: string, n: number): StoredMessage => ({
  type: 'text',
  text: `message ${n}`,
  id: `m${String(n).padStart(6, '0')}`,
  userId,
  from: 'user',
  createdAt: new Date(1_700_000_000_000 + n).toISOString(),
});
/** The ids message() gives messages from..to. */
const idRange = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message('any', from + i).id);

describe('store: lowdb on disk', () => {
  const tmp = eachTestTempDir();
  const rules = seedContent().seedRules;

  it('seeds the rules into a new file, and keeps users in files of their own', async () => {
    const store = fileStore(tmp.dbFile);
    await store.open(rules);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    const main = JSON.parse(readFileSync(tmp.dbFile, 'utf8'));
    expect(main.rules.map((r: { id: string }) => r.id)).to.deep.equal(rules.map((r) => r.id));
    expect(JSON.stringify(main)).not.to.include('message 1');
  });

  it('refuses files a live process holds (data-lock.ts), leaving them as they were; takes over from one that is gone', async () => {
    const lockFile = tmp.dbFile.replace(/\.json$/, '.lock');
    const first = fileStore(tmp.dbFile);
    await first.open(rules);
    await first.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    await first.close();
    expect(existsSync(lockFile), 'let go on close').to.equal(false);
    const files = () => readdirSync(tmp.dir, { recursive: true }).map(String).sort();
    const before = files();
    // Held by a process that runs (this one's parent): refused, naming it, nothing read or written.
    const held = `${JSON.stringify({ pid: process.ppid, host: 'elsewhere', since: '2026-12-04T08:00:00.000Z', token: 't' })}\n`;
    writeFileSync(lockFile, held);
    const refused = await rejection(fileStore(tmp.dbFile).open(rules));
    expect(refused).to.be.instanceOf(StoreError).and.include({ kind: 'unavailable' });
    expect(refused.message).to.include(`in use by process ${process.ppid} on elsewhere`).and.include(`delete ${lockFile}`);
    expect(readFileSync(lockFile, 'utf8')).to.equal(held);
    expect(files()).to.deep.equal([...before, path.basename(lockFile)].sort());
    // Held by a process that is gone: taken over, and the data is there.
    writeFileSync(lockFile, JSON.stringify({ pid: 2 ** 22 + 1, host: 'here', since: '2026-12-04T08:00:00.000Z', token: 't' }));
    const next = fileStore(tmp.dbFile);
    await next.open(rules);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).to.include({ pid: process.pid });
    expect((await next.history('alice', { limit: 10 }))!.map((m) => (m as { text?: string }).text)).to.deep.equal(['message 1']);
    await next.close();
    expect(existsSync(lockFile)).to.equal(false);
  });

  it('keeps messages, sessions and answers across a restart, and pages history with "before"', async () => {
    const first = fileStore(tmp.dbFile);
    await first.open(rules);
    for (let n = 1; n <= 10; n += 2) {
      await first.commit('alice', { messages: [message('alice', n), message('alice', n + 1)], session: { subscribed: true }, clientId: `c${n}` });
    }
    await first.close();

    const second = fileStore(tmp.dbFile);
    await second.open([]);
    expect(second.rules().length).to.equal(rules.length); // seeded once, not re-seeded
    expect((await second.openTurn('alice')).user?.session).to.deep.equal({ subscribed: true });
    expect((await second.history('alice', { limit: 3 }))!.map((m) => m.id)).to.deep.equal(['m000008', 'm000009', 'm000010']);
    expect((await second.history('alice', { limit: 3, before: 'm000008' }))!.map((m) => m.id)).to.deep.equal(['m000005', 'm000006', 'm000007']);
    expect(await second.history('alice', { limit: 3, before: 'nope' })).to.equal(undefined);
    expect(await second.history('bob', { limit: 3 })).to.deep.equal([]);
    const exchange = (await second.openTurn('alice', 'c3')).earlier;
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
      writeFileSync(tmp.dbFile, content);
      const store = fileStore(tmp.dbFile);
      try {
        await store.open(rules);
        expect.fail('should have refused');
      } catch (err) {
        expect(err).to.be.instanceOf(StoreError);
        expect((err as Error).message).to.include(tmp.dbFile).and.match(reason).and.match(/left as it is/);
      }
      expect(readFileSync(tmp.dbFile, 'utf8')).to.equal(content);
    });
  }

  for (const [what, content] of [['not JSON', '[{"id": "c1"'], ['not a list', '{"calls": []}']] as const) {
    it(`refuses to start on a db.api-calls.json that is ${what}, naming it, and leaves it as it was`, async () => {
      const file = tmp.dbFile.replace(/\.json$/, '.api-calls.json');
      writeFileSync(file, content);
      const err = await rejection(fileStore(tmp.dbFile).open(rules), 'opening on a damaged API-call log');
      expect(err).to.be.instanceOf(StoreError);
      expect((err as StoreError).kind).to.equal('damaged');
      expect((err as Error).message).to.include('db.api-calls.json').and.match(/left as it is/);
      expect(readFileSync(file, 'utf8')).to.equal(content);
    });
  }

  it('refuses a damaged user file as damaged and leaves it as it was', async () => {
    const store = fileStore(tmp.dbFile);
    await store.open(rules);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    await store.close();
    const usersDir = path.join(tmp.dir, 'db.users');
    const [dir] = readdirSync(usersDir);
    const file = path.join(dir!, 'seg-000000.json');
    writeFileSync(path.join(usersDir, file), '{"userId": "alice", "mess');
    const reopened = fileStore(tmp.dbFile);
    await reopened.open(rules);
    try {
      await reopened.openTurn('alice');
      expect.fail('should have refused');
    } catch (err) {
      expect(err).to.be.instanceOf(StoreError);
      expect((err as StoreError).kind).to.equal('damaged');
    }
    expect(readFileSync(path.join(usersDir, file), 'utf8')).to.equal('{"userId": "alice", "mess');
  });
});

describe('store: history in segments', () => {
  const tmp = eachTestTempDir();

  it('rolls over into new files of at most SEGMENT_SIZE messages, and reads across them', async () => {
    const store = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await store.open([]);
    for (let n = 1; n <= 500; n += 2) {
      await store.commit('alice', { messages: [message('alice', n), message('alice', n + 1)], session: { subscribed: n % 4 === 1 }, clientId: `c${n}` });
      if ((n + 1) % 50 === 0) await store.checkpoint(); // a user who writes slowly: each segment written before it fills
    }
    await store.checkpoint();
    const dir = path.join(tmp.dir, 'db.users', readdirSync(path.join(tmp.dir, 'db.users'))[0]!);
    const segments = readdirSync(dir).filter((f) => f.startsWith('seg-')).sort();
    expect(segments).to.have.length(500 / SEGMENT_SIZE);
    for (const file of segments) expect(JSON.parse(readFileSync(path.join(dir, file), 'utf8')).messages.length).to.be.at.most(SEGMENT_SIZE);
    // Writing one more message rewrites only the newest, small file.
    const sizes = segments.map((f) => statSync(path.join(dir, f)).size);
    expect(Math.max(...sizes)).to.be.below(40_000);

    const reopened = fileStore(tmp.dbFile);
    await reopened.open([]);
    expect((await reopened.history('alice', { limit: 200 }))!.map((m) => m.id)).to.deep.equal(idRange(301, 500));
    expect((await reopened.history('alice', { limit: 150, before: 'm000120' }))!.map((m) => m.id)).to.deep.equal(idRange(1, 119));
    expect((await reopened.history('alice', { limit: 3, before: 'm000001' }))!).to.deep.equal([]);
    expect((await reopened.openTurn('alice')).user!.session).to.deep.equal({ subscribed: false });
    // Resends are recognised across at least the last SEGMENT_SIZE messages.
    expect((await reopened.openTurn('alice', 'c499')).earlier!.message.id).to.equal('m000499');
    expect((await reopened.openTurn('alice', `c${501 - SEGMENT_SIZE}`)).earlier!.replies.map((m) => m.id)).to.deep.equal([message('alice', 502 - SEGMENT_SIZE).id]);
    await reopened.commit('alice', { messages: [message('alice', 501)], session: { subscribed: true } });
    expect((await reopened.history('alice', { limit: 2 }))!.map((m) => m.id)).to.deep.equal(['m000500', 'm000501']);
  });

  it('gives a user who writes fast one new file per checkpoint, of at most UNWRITTEN_SEGMENT_SIZE messages', async () => {
    const store = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await store.open([]);
    const total = 2.5 * UNWRITTEN_SEGMENT_SIZE; // two full files and half of one
    const commits = [];
    // Not awaited one by one: the commits share synced journal writes, and a user's commits keep their order.
    for (let n = 1; n <= total; n += 2) {
      commits.push(store.commit('alice', { messages: [message('alice', n), message('alice', n + 1)], session: { subscribed: true }, clientId: `c${n}` }));
    }
    await Promise.all(commits);
    await store.checkpoint();
    const dir = path.join(tmp.dir, 'db.users', readdirSync(path.join(tmp.dir, 'db.users'))[0]!);
    const lengths = () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('seg-'))
        .sort()
        .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).messages.length);
    expect(lengths()).to.deep.equal([UNWRITTEN_SEGMENT_SIZE, UNWRITTEN_SEGMENT_SIZE, total - 2 * UNWRITTEN_SEGMENT_SIZE]);
    // Written, the newest (already past SEGMENT_SIZE) takes no more: the next message starts a small file.
    await store.commit('alice', { messages: [message('alice', total + 1)], session: { subscribed: true } });
    await store.close();
    expect(lengths()).to.deep.equal([UNWRITTEN_SEGMENT_SIZE, UNWRITTEN_SEGMENT_SIZE, total - 2 * UNWRITTEN_SEGMENT_SIZE, 1]);

    const reopened = fileStore(tmp.dbFile);
    await reopened.open([]);
    expect((await reopened.history('alice', { limit: 500 }))!.map((m) => m.id)).to.deep.equal(idRange(total - 498, total + 1));
    // A page across the first two files, which are no longer in memory.
    const across = UNWRITTEN_SEGMENT_SIZE + 5;
    expect((await reopened.history('alice', { limit: 10, before: message('alice', across).id }))!.map((m) => m.id)).to.deep.equal(idRange(across - 10, across - 1));
    expect((await reopened.openTurn('alice', `c${total + 1 - SEGMENT_SIZE}`)).earlier!.message.id).to.equal(message('alice', total + 1 - SEGMENT_SIZE).id);
    await reopened.close();
  });

  it('finds the exchange of a revised message kept in the segment before its reply, after a restart', async () => {
    const first = fileStore(tmp.dbFile);
    await first.open([]);
    for (let n = 1; n <= SEGMENT_SIZE - 2; n++) await first.commit('alice', { messages: [message('alice', n)], session: { subscribed: true } });
    const pushed = message('alice', SEGMENT_SIZE - 1);
    await first.commit('alice', { messages: [pushed, message('alice', SEGMENT_SIZE)], session: { subscribed: true } }); // fills segment 0
    await first.checkpoint(); // written: it takes no more messages
    const traced = { ...pushed, trace: { outcome: 'replied' } };
    const reply = message('alice', SEGMENT_SIZE + 1);
    await first.commit('alice', { messages: [reply], session: { subscribed: true }, clientId: 'c-late', revised: traced }); // its reply starts segment 1
    await first.close();
    const second = fileStore(tmp.dbFile);
    await second.open([]);
    expect((await second.openTurn('alice', 'c-late')).earlier).to.deep.equal({ message: traced, replies: [reply] });
    expect((await second.history('alice', { limit: 3 }))!.map((m) => m.id)).to.deep.equal([traced.id, message('alice', SEGMENT_SIZE).id, reply.id]);
    await second.close();
  });

  it('imports a whole history at once, and goes on from it', async () => {
    const store = fileStore(tmp.dbFile);
    await store.open([]);
    const history = Array.from({ length: 1050 }, (_, i) => message('bulk', i + 1));
    await store.importHistory('bulk', history, { subscribed: true });
    expect((await store.history('bulk', { limit: 50 }))!.map((m) => m.id)).to.deep.equal(history.slice(-50).map((m) => m.id));
    let before: string | undefined;
    const all: string[] = [];
    for (;;) {
      const page = (await store.history('bulk', { limit: 200, before }))!;
      if (page.length === 0) break;
      all.unshift(...page.map((m) => m.id));
      before = page[0]!.id;
    }
    expect(all).to.deep.equal(history.map((m) => m.id));
    await store.commit('bulk', { messages: [message('bulk', 2000)], session: { subscribed: true } });
    expect((await store.history('bulk', { limit: 1 }))![0]!.id).to.equal('m002000');
    try {
      await store.importHistory('bulk', [], { subscribed: true });
      expect.fail('should refuse an existing user');
    } catch (err) {
      expect((err as StoreError).kind).to.equal('conflict');
    }
  });

  it('keeps every user right when there are more users than it keeps in memory', async () => {
    const store = fileStore(tmp.dbFile, { cachedUsers: 50 });
    await store.open([]);
    const users = Array.from({ length: 60 }, (_, i) => `user${i}`);
    await Promise.all(users.map((u, i) => store.commit(u, { messages: [message(u, i)], session: { subscribed: true } })));
    await Promise.all(users.map((u, i) => store.commit(u, { messages: [message(u, 5000 + i)], session: { subscribed: false } })));
    for (const [i, u] of users.entries()) {
      expect((await store.history(u, { limit: 10 }))!.map((m) => m.id), u).to.deep.equal([message(u, i).id, message(u, 5000 + i).id]);
    }
    await store.close(); // else its checkpoint timer writes into the folder while it is being removed
  });
});

describe('store: the journal', () => {
  const tmp = eachTestTempDir();

  it('acknowledges from the journal, and a store that was never closed (a crash) has it all on reopening', async () => {
    const crashed = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await crashed.open([]);
    await Promise.all(['alice', 'bob'].map(async (u) => {
      for (let n = 1; n <= 5; n++) await crashed.commit(u, { messages: [message(u, n)], session: { subscribed: n % 2 === 1 }, clientId: `c${n}` });
    }));
    expect(readFileSync(tmp.journalFile, 'utf8').trim().split('\n')).to.have.length(10);
    expect(readdirSync(path.join(tmp.dir, 'db.users'))).to.deep.equal([]); // nothing checkpointed yet

    const warnings: string[] = [];
    const reopened = fileStore(tmp.dbFile, { warn: (m) => warnings.push(m) });
    await reopened.open([]);
    for (const u of ['alice', 'bob']) {
      expect(ids(await reopened.history(u, { limit: 10 }))).to.deep.equal(['m000001', 'm000002', 'm000003', 'm000004', 'm000005']);
      expect((await reopened.openTurn(u)).user!.session).to.deep.equal({ subscribed: true });
      expect((await reopened.openTurn(u, 'c4')).earlier!.message.id).to.equal('m000004');
    }
    expect(warnings).to.deep.equal([]);
    // Replayed into the user files, and the journal is gone.
    expect(readdirSync(path.join(tmp.dir, 'db.users'))).to.have.length(2);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('journal'))).to.deep.equal([]);
  });

  it('replays each turn exactly once when a checkpoint had already written part of the journal', async () => {
    const crashed = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await crashed.open([]);
    for (let n = 1; n <= 150; n++) await crashed.commit('alice', { messages: [message('alice', n)], session: { subscribed: true } });
    const journalBefore = readFileSync(tmp.journalFile, 'utf8');
    await crashed.checkpoint(); // writes the user files and drops the journal
    for (let n = 151; n <= 260; n++) await crashed.commit('alice', { messages: [message('alice', n)], session: { subscribed: true } });
    // A crash just before a checkpoint dropped its retired journal: both parts are there.
    writeFileSync(path.join(tmp.dir, 'db.journal.retired'), journalBefore);

    const reopened = fileStore(tmp.dbFile);
    await reopened.open([]);
    const all = ids(await reopened.history('alice', { limit: 1000 }));
    expect(all).to.have.length(260);
    expect(new Set(all).size).to.equal(260);
    expect(all.at(-1)).to.equal('m000260');
  });

  it('leaves out a last line cut short by a crash (never acknowledged), and says so', async () => {
    const crashed = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await crashed.open([]);
    await crashed.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    writeFileSync(tmp.journalFile, `${readFileSync(tmp.journalFile, 'utf8')}{"userId":"alice","at":1,"commit":{"mess`);
    const warnings: string[] = [];
    const reopened = fileStore(tmp.dbFile, { warn: (m) => warnings.push(m) });
    await reopened.open([]);
    expect(ids(await reopened.history('alice', { limit: 10 }))).to.deep.equal(['m000001']);
    expect(warnings.join()).to.include('db.journal').and.include('cut short');
  });

  for (const [what, damage, reason] of [
    ['a damaged line before others', (text: string) => `{"userId": "al\n${text}`, /db\.journal: line 1 is damaged/],
    ['a line of the wrong shape', (text: string) => `{"user": 1}\n${text}`, /line 1 is damaged \(unexpected shape\)/],
    ['a gap in a user\'s history', (text: string) => text.replace('"at":0', '"at":7'), /line 1 continues alice's history at message 7, but the user files hold 0/],
  ] as const) {
    it(`refuses to start on a journal with ${what}, naming it, and leaves every file as it was`, async () => {
      const crashed = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
      await crashed.open([]);
      await crashed.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
      const damaged = damage(readFileSync(tmp.journalFile, 'utf8'));
      writeFileSync(tmp.journalFile, damaged);
      const reopened = fileStore(tmp.dbFile);
      try {
        await reopened.open([]);
        expect.fail('should have refused');
      } catch (err) {
        expect(err).to.be.instanceOf(StoreError);
        expect((err as Error).message).to.match(reason).and.match(/left as it is/);
      }
      expect(readFileSync(tmp.journalFile, 'utf8')).to.equal(damaged);
      expect(readdirSync(path.join(tmp.dir, 'db.users'))).to.deep.equal([]);
    });
  }

  it('a graceful close writes everything to the user files and leaves no journal behind', async () => {
    const store = fileStore(tmp.dbFile, { checkpointMs: 60_000 });
    await store.open([]);
    for (let n = 1; n <= 3; n++) await store.commit('alice', { messages: [message('alice', n)], session: { subscribed: true } });
    await store.close();
    expect(readdirSync(tmp.dir).filter((f) => f.includes('journal'))).to.deep.equal([]);
    const [dir] = readdirSync(path.join(tmp.dir, 'db.users'));
    const segment = JSON.parse(readFileSync(path.join(tmp.dir, 'db.users', dir!, 'seg-000000.json'), 'utf8'));
    expect(segment.messages.map((m: StoredMessage) => m.id)).to.deep.equal(['m000001', 'm000002', 'm000003']);
    expect(segment.first).to.equal(0);
  });

  it('runs nothing on a closed store: no checkpoint touches the journal after close(), even with commits racing it', async () => {
    const calls: string[] = [];
    const files = fileLocation(tmp.dbFile);
    const watched: StoreLocation = {
      ...files,
      journal: () => {
        const inner = files.journal();
        return Object.assign(Object.create(inner) as typeof inner, {
          retire: () => (calls.push('retire'), inner.retire()),
          clear: () => (calls.push('clear'), inner.clear()),
          close: () => (calls.push('close'), inner.close()),
        });
      },
    };
    // A checkpoint is due 1 ms after every change: a timer left behind would fire at once.
    const store = new LowStore(watched, { checkpointMs: 1, checkpointBytes: 1 });
    await store.open([]);
    const racing = Array.from({ length: 20 }, (_, n) => store.commit('alice', { messages: [message('alice', n + 1)], session: { subscribed: true } }));
    const settled = Promise.allSettled(racing); // some are refused by the closing store: observed here, not left unhandled
    await store.close();
    await settled;
    const atClose = calls.length;
    expect(calls.at(-1)).to.be.oneOf(['clear', 'close']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.slice(atClose)).to.deep.equal([]);
  });

  it('checkpoints by itself after checkpointMs', async () => {
    const store = fileStore(tmp.dbFile, { checkpointMs: 20 });
    await store.open([]);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    for (let i = 0; i < 100 && readdirSync(path.join(tmp.dir, 'db.users')).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(path.join(tmp.dir, 'db.users'))).to.have.length(1);
    await store.close();
  });
});

describe('store: a failing disk', () => {
  const tmp = eachTestTempDir();
  const enospc = () => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });

  it('refuses a commit the journal could not take, keeps nothing of it, and recovers with the disk', async () => {
    let failing = false;
    const location = failingJournal(memoryLocation(), () => (failing ? enospc() : undefined));
    const store = new LowStore(location);
    await store.open([]);
    await store.commit('alice', { messages: [message('alice', 1)], session: { subscribed: true } });
    failing = true;
    try {
      await store.commit('alice', { messages: [message('alice', 2)], session: { subscribed: false }, clientId: 'x' });
      expect.fail('should have failed');
    } catch (err) {
      expect((err as StoreError).kind).to.equal('unavailable');
      expect((err as Error).message).to.include('ENOSPC');
    }
    expect(ids(await store.history('alice', { limit: 10 }))).to.deep.equal(['m000001']);
    expect((await store.openTurn('alice')).user!.session).to.deep.equal({ subscribed: true });
    expect((await store.openTurn('alice', 'x')).earlier).to.equal(undefined);
    // A new user whose first write fails does not exist afterwards.
    try {
      await store.commit('bob', { messages: [message('bob', 1)], session: { subscribed: true } });
      expect.fail('should have failed');
    } catch (err) {
      expect((err as StoreError).kind).to.equal('unavailable');
    }
    expect((await store.openTurn('bob')).user).to.equal(undefined);
    failing = false;
    await store.commit('alice', { messages: [message('alice', 3)], session: { subscribed: true } });
    expect(ids(await store.history('alice', { limit: 10 }))).to.deep.equal(['m000001', 'm000003']);
  });

  it('keeps acknowledging while checkpoints fail, keeps the journal, and catches up when the disk is back', async () => {
    let failing = false;
    const files = fileLocation(tmp.dbFile);
    const failingFiles = (inner: UserFiles): UserFiles => ({
      ...inner,
      replace: async (name, text) => {
        if (failing) throw enospc();
        await inner.replace(name, text);
      },
      create: async (name, text) => {
        if (failing) throw enospc();
        await inner.create(name, text);
      },
    });
    const warnings: unknown[] = [];
    const store = new LowStore({ ...files, user: (key) => failingFiles(files.user(key)) }, { checkpointMs: 60_000, warn: (_m, err) => warnings.push(err) });
    await store.open([]);
    failing = true;
    for (let n = 1; n <= 3; n++) await store.commit('alice', { messages: [message('alice', n)], session: { subscribed: true } });
    try {
      await store.checkpoint();
      expect.fail('the checkpoint should have failed');
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOSPC');
    }
    expect(warnings).to.have.length(1);
    await store.commit('alice', { messages: [message('alice', 4)], session: { subscribed: true } });
    expect(readdirSync(tmp.dir).filter((f) => f.includes('journal')).sort()).to.deep.equal(['db.journal', 'db.journal.retired']);
    failing = false;
    await store.checkpoint();
    expect(readdirSync(tmp.dir).filter((f) => f.includes('journal'))).to.deep.equal(['db.journal']); // the retired part is written and gone
    const reopened = fileStore(tmp.dbFile);
    await reopened.open([]);
    expect(ids(await reopened.history('alice', { limit: 10 }))).to.deep.equal(['m000001', 'm000002', 'm000003', 'm000004']);
  });
});

const ids = (messages: StoredMessage[] | undefined) => messages!.map((m) => m.id);
