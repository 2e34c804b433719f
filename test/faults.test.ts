// Faults: SIGTERM with messages in flight, a full disk (a real one where the machine lets us mount one, a
// simulated one everywhere), damaged files and a data folder that cannot be made. Nothing acknowledged is lost.
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { MessageAck, StoredMessage } from '../server/contract.ts';
import { buildServer } from '../server/build.ts';
import { fileStore, LowStore } from '../server/store/low-store.ts';
import { fileLocation } from '../server/store/low-location.ts';
import { connectUser, eachTestTempDir, failingJournal, http, send, startServer } from './helpers.ts';
import { run, start, stop } from './process-helpers.ts';

const text = (i: number, size = 20) => `fault ${i} ${'x'.repeat(size)}`;

async function storedHistory(url: string, userId: string): Promise<StoredMessage[]> {
  return (await http(`${url}/api/messages?userId=${userId}&limit=200`, 'GET')).body.messages;
}

/** Fills a file system until it says ENOSPC; returns the filler's path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return filler;
}

describe('faults: the server process', function () {
  this.timeout(40_000);
  before(() => buildServer());
  const tmp = eachTestTempDir();

  it('on SIGTERM with messages in flight: answers what it took, refuses the rest, closes the sockets, exits 0, and keeps exactly the acknowledged ones', async () => {
    const server = await start({ DB_FILE: tmp.dbFile, RATE_LIMIT_USER: 'off', RATE_LIMIT_ADDRESS: 'off' });
    const { socket } = await connectUser(server.url, 'inflight');
    let disconnected = false;
    socket.on('disconnect', () => (disconnected = true));
    const pending = Array.from({ length: 40 }, (_, i) => send(socket, { type: 'text', text: text(i), clientId: `f${i}` }).catch((err: Error) => err));
    await Promise.race(pending); // the server is answering: the rest are in flight when it is told to stop
    expect(await stop(server)).to.equal(0);
    const answers = await Promise.all(pending);
    expect(disconnected).to.equal(true);
    socket.close();
    const acked = answers.filter((a): a is Extract<MessageAck, { ok: true }> => !(a instanceof Error) && a.ok);
    expect(acked.length, 'messages read before the stop are answered').to.be.greaterThan(0);
    // The rest were refused as shutting_down, or never read before the sockets closed (the client sees the drop).
    for (const a of answers) if (!(a instanceof Error) && !a.ok) expect(a.error.code).to.equal('shutting_down');

    const again = await start({ DB_FILE: tmp.dbFile });
    const stored = await storedHistory(again.url, 'inflight');
    for (const { message } of acked) expect(stored.filter((m) => m.id === message.id), message.id).to.have.length(1);
    expect(stored.filter((m) => m.from === 'user')).to.have.length(acked.length); // nothing unacknowledged was kept
    expect(await stop(again)).to.equal(0);
  });

  it('refuses to start on a damaged journal, naming the file and the line, and leaves it as it was', async () => {
    writeFileSync(tmp.dbFile, '{"version":1,"rules":[]}');
    const journal = path.join(tmp.dir, 'db.journal');
    const damaged = '{"userId":"a","at":0,"commit":{"messages":[],"session":{"subscribed":true}}}\n{"userId":"a","at":\n';
    writeFileSync(journal, damaged);
    const server = run({ DB_FILE: tmp.dbFile });
    expect(await server.exited).to.equal(1);
    expect(server.output()).to.include(journal).and.include('line 2').and.include('Recovering the data files');
    expect(readFileSync(journal, 'utf8')).to.equal(damaged);
  });

  for (const [what, content, reason] of [
    ['truncated', '{"version":1,"rules":[{"id":"a","name":', /not valid JSON/],
    ['of the wrong shape', '{"version":1,"rules":{}}', /not a store file of this version \(rules/],
  ] as const) {
    it(`refuses to start on a DB_FILE that is ${what}, and leaves it as it was`, async () => {
      writeFileSync(tmp.dbFile, content);
      const server = run({ DB_FILE: tmp.dbFile });
      expect(await server.exited).to.equal(1);
      expect(server.output()).to.include(tmp.dbFile).and.match(reason);
      expect(readFileSync(tmp.dbFile, 'utf8')).to.equal(content);
    });
  }

  it('refuses to start when the data folder cannot be made, saying why', async () => {
    writeFileSync(path.join(tmp.dir, 'data'), 'a file, not a folder');
    const server = run({ DB_FILE: path.join(tmp.dir, 'data', 'db.json') });
    expect(await server.exited).to.equal(1);
    expect(server.output()).to.match(/Cannot start: .*data.*the data folder cannot be created \((EEXIST|ENOTDIR): a file stands where a folder should be\)/);
  });

  it('warns when ADMIN_TOKEN is not set and other machines can reach it, and not on loopback', async () => {
    const open = await start({ DB_FILE: tmp.dbFile, HOST: '0.0.0.0' });
    expect(await stop(open)).to.equal(0);
    expect(open.output()).to.match(/without ADMIN_TOKEN anyone can change the keyword rules/);
    const local = await start({ DB_FILE: tmp.dbFile });
    expect(await stop(local)).to.equal(0);
    expect(local.output()).not.to.match(/ADMIN_TOKEN/);
  });

  it('on a disk that is really full: refuses with storage_unavailable, acknowledges nothing unstored, and recovers with the disk', async function () {
    const disk = path.join(tmp.dir, 'disk');
    mkdirSync(disk);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk], { stdio: 'ignore' });
    } catch {
      this.skip(); // mounting needs privileges this machine does not give; the simulated disk below still runs
    }
    try {
      const db = path.join(disk, 'db.json');
      const server = await start({ DB_FILE: db });
      const { socket } = await connectUser(server.url, 'full');
      const first = await send(socket, { type: 'text', text: text(0), clientId: 'c0' });
      expect(first.ok).to.equal(true);
      const filler = fillDisk(disk);
      const refused: number[] = [];
      for (let i = 1; i <= 6 && refused.length === 0; i++) {
        const ack = await send(socket, { type: 'text', text: text(i, 1900), clientId: `c${i}` });
        if (!ack.ok) {
          expect(ack.error.code).to.equal('storage_unavailable');
          refused.push(i);
        }
      }
      expect(refused, 'a message should have been refused on the full disk').to.have.length(1);
      rmSync(filler);
      const after = await send(socket, { type: 'text', text: text(99), clientId: 'c99' });
      expect(after.ok).to.equal(true);
      socket.close();
      expect(await stop(server)).to.equal(0);

      const again = await start({ DB_FILE: db });
      const texts = (await storedHistory(again.url, 'full')).filter((m) => m.from === 'user').map((m) => (m as { text: string }).text);
      expect(texts).to.include(text(0)).and.include(text(99));
      expect(texts).not.to.include(text(refused[0]!, 1900));
      expect(await stop(again)).to.equal(0);
    } finally {
      execFileSync('umount', [disk]);
    }
  });
});

describe('faults: a disk that fails and comes back, through a real socket and HTTP', () => {
  const tmp = eachTestTempDir();

  it('refuses with storage_unavailable, pushes and stores nothing of it, and answers again when the disk is back', async () => {
    let failing = false;
    const location = failingJournal(fileLocation(tmp.dbFile), () => (failing ? Object.assign(new Error('read-only file system'), { code: 'EROFS' }) : undefined));
    const server = await startServer(new LowStore(location));
    try {
      const { socket, received } = await connectUser(server.url, 'flaky');
      const before = await storedHistory(server.url, 'flaky');
      failing = true;
      const refused = await send(socket, { type: 'text', text: 'payment', clientId: 'x1' });
      expect(refused.ok ? 'ok' : refused.error).to.deep.include({ code: 'storage_unavailable' });
      expect((refused as { error: { message: string } }).error.message).to.include('EROFS');
      expect(await storedHistory(server.url, 'flaky')).to.deep.equal(before);
      expect(received).to.have.length(0);
      failing = false;
      const retried = await send(socket, { type: 'text', text: 'payment', clientId: 'x1' });
      expect(retried.ok).to.equal(true);
      expect(await storedHistory(server.url, 'flaky')).to.have.length(before.length + 2);
      socket.close();
    } finally {
      await server.close();
    }
  });

  it('over HTTP: a write the store refuses is 503 storage_unavailable, saying why, and so is a user whose files are damaged', async () => {
    let failing = false;
    const location = failingJournal(fileLocation(tmp.dbFile), () => (failing ? Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }) : undefined));
    const server = await startServer(new LowStore(location));
    try {
      expect((await http(`${server.url}/api/messages`, 'POST', { userId: 'carol', type: 'text', text: 'help' })).status).to.equal(200);
      failing = true;
      const refused = await http(`${server.url}/api/messages`, 'POST', { userId: 'carol', type: 'text', text: 'payment' });
      expect(refused.status).to.equal(503);
      expect(refused.body.error).to.deep.equal({ code: 'storage_unavailable', message: 'The message could not be stored (ENOSPC); it was not sent. Try again.' });
      failing = false;
    } finally {
      await server.close();
    }
    const usersDir = path.join(tmp.dir, 'db.users');
    const [dir] = readdirSync(usersDir);
    writeFileSync(path.join(usersDir, dir!, 'meta.json'), '{"userId": ');
    const reopened = await startServer(fileStore(tmp.dbFile));
    try {
      const damaged = await http(`${reopened.url}/api/messages?userId=carol`, 'GET');
      expect(damaged.status).to.equal(503);
      expect(damaged.body.error.code).to.equal('storage_unavailable');
      expect(damaged.body.error.message).to.match(/damaged \(meta: .*\) and was left as it is/);
    } finally {
      await reopened.close();
    }
  });
});
