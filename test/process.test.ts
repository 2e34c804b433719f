// The real `npm start` entry point in a child process: start-up errors, SIGTERM, and SIGKILL durability.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { MessageAck } from '../server/contract.ts';
import { buildServer } from '../server/build.ts';
import { connectUser, eachTestTempDir, send, until } from './helpers.ts';
import { root, run, start } from './process-helpers.ts';

describe('the server process', function () {
  this.timeout(40_000);
  before(() => buildServer()); // what `npm start` runs
  const tmp = eachTestTempDir();

  it('exits 0 on SIGTERM after finishing its writes', async () => {
    const server = await start({ DB_FILE: tmp.dbFile });
    const { socket } = await connectUser(server.url, 'term');
    const ack = await send(socket, { type: 'text', text: 'games' });
    expect(ack.ok).to.equal(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
    socket.close();
    const again = await start({ DB_FILE: tmp.dbFile });
    const { socket: s2, ready } = await connectUser(again.url, 'term');
    expect(ready.history.map((m) => m.id)).to.include((ack as Extract<MessageAck, { ok: true }>).message.id);
    s2.close();
    again.child.kill('SIGTERM');
    await again.exited;
  });

  it('keeps every acknowledged message when killed with SIGKILL right after a burst', async () => {
    const server = await start({ DB_FILE: tmp.dbFile });
    const users = await Promise.all(['k1', 'k2', 'k3'].map((id) => connectUser(server.url, id)));
    const acked: string[] = [];
    await Promise.all(
      users.map(async ({ socket }, u) => {
        for (let i = 0; i < 15; i++) {
          const ack = await send(socket, { type: 'text', text: `burst ${u}-${i}`, clientId: `b${u}-${i}` });
          if (ack.ok) acked.push(ack.message.id, ...ack.replies.map((r) => r.id));
        }
      }),
    );
    server.child.kill('SIGKILL');
    await server.exited;
    users.forEach((u) => u.socket.close());
    expect(acked).to.have.length(90);

    const restarted = await start({ DB_FILE: tmp.dbFile });
    const stored = new Set<string>();
    for (const id of ['k1', 'k2', 'k3']) {
      const res = await fetch(`${restarted.url}/api/messages?userId=${id}&limit=200`);
      for (const m of ((await res.json()) as { messages: Array<{ id: string }> }).messages) stored.add(m.id);
    }
    for (const id of acked) expect(stored.has(id), id).to.equal(true);
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  });

  it('refuses a second process on the same DB_FILE while the first runs, and starts at once once the first was killed', async () => {
    const first = await start({ DB_FILE: tmp.dbFile });
    try {
      const { socket } = await connectUser(first.url, 'owner');
      expect((await send(socket, { type: 'text', text: 'games', clientId: 'c1' })).ok).to.equal(true);
      socket.close();
      const journal = readFileSync(tmp.journalFile);
      const second = run({ DB_FILE: tmp.dbFile });
      expect(await second.exited).to.equal(1);
      expect(second.output()).to.include(tmp.dbFile).and.include(`in use by process ${first.child.pid}`).and.include('DB_FILE of its own');
      // It read nothing and wrote nothing: the first one's journal is as it was, and it still answers.
      expect(readFileSync(tmp.journalFile).equals(journal)).to.equal(true);
      const again = await connectUser(first.url, 'owner');
      expect(again.ready.history.length).to.be.greaterThan(1);
      again.socket.close();
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // The lock names a process that is gone: taken over without waiting.
    const restarted = await start({ DB_FILE: tmp.dbFile });
    const { socket, ready } = await connectUser(restarted.url, 'owner');
    expect(ready.history.some((m) => (m as { text?: string }).text === 'games')).to.equal(true);
    socket.close();
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).to.equal(0);
  });

  it('refuses to start on a damaged DB_FILE, naming it, and leaves it untouched', async () => {
    writeFileSync(tmp.dbFile, '{"version":1,"rules":[{"id":');
    const server = run({ DB_FILE: tmp.dbFile });
    expect(await server.exited).to.equal(1);
    expect(server.output()).to.include(tmp.dbFile).and.match(/not valid JSON/);
    expect(readFileSync(tmp.dbFile, 'utf8')).to.equal('{"version":1,"rules":[{"id":');
  });

  const settings: Array<[string, Record<string, string>, RegExp]> = [
    ['TARGET_TIMEOUT_MS=0 (every attempt would abort at once)', { TARGET_URL: 'http://127.0.0.1:9/wechat', TARGET_TOKEN: 't', TARGET_TIMEOUT_MS: '0' }, /TARGET_TIMEOUT_MS must be a whole number of at least 1/],
    ['WECHAT_AES_KEY without WECHAT_APPID', { WECHAT_TOKEN: 't', WECHAT_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }, /WECHAT_AES_KEY needs WECHAT_APPID/],
  ];
  for (const [what, env, reason] of settings) {
    it(`refuses to start with ${what}, saying why`, async () => {
      const server = run({ DB_FILE: tmp.dbFile, ...env });
      expect(await server.exited).to.equal(1);
      expect(server.output()).to.match(reason);
    });
  }

  it('refuses to start on a malformed CONTENT_FILE, naming the file and the line', async () => {
    const contentFile = path.join(tmp.dir, 'article.md');
    writeFileSync(contentFile, '# Title\n\n## One {#one}\nText.\n\n## Two {#one}\nMore.\n');
    const server = run({ DB_FILE: tmp.dbFile, CONTENT_FILE: contentFile });
    expect(await server.exited).to.equal(1);
    expect(server.output()).to.include(`${contentFile}:6: duplicate section id "one"`);
  });

  it('serves another article from CONTENT_FILE', async () => {
    const contentFile = path.join(tmp.dir, 'article.md');
    writeFileSync(contentFile, '# Tea\n\n## Green tea {#green}\nKeywords: green, 绿茶\n\nGreen tea is unoxidised.\n');
    const accountFile = path.join(tmp.dir, 'account.json');
    writeFileSync(accountFile, JSON.stringify({ name: 'Tea Talk', menu: [{ name: 'Green', key: 'section:green' }] }));
    const server = await start({ DB_FILE: tmp.dbFile, CONTENT_FILE: contentFile, ACCOUNT_FILE: accountFile, RULES_FILE: path.join(root, 'data', 'rules.json') });
    const res = await fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'tea', type: 'text', text: '绿茶' }),
    });
    const body = (await res.json()) as { replies: Array<{ articles: Array<{ sectionId: string }> }> };
    expect(body.replies[0]!.articles[0]!.sectionId).to.equal('green');
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
  });

  it('warns, listening on 0.0.0.0, that the chat histories, the API-call stream and the platform API are open to the network', async () => {
    const server = await start({ DB_FILE: tmp.dbFile, HOST: '0.0.0.0', ADMIN_TOKEN: 'a-long-admin-token' });
    await until(() => server.output().includes('"level":40'));
    const warning = server.output().split('\n').find((line) => line.includes('"level":40'))!;
    expect(warning).to.include('HOST=0.0.0.0').and.include('chat history').and.include('API-call stream').and.include('platform API');
    expect(warning).to.include('firewall').and.not.include('without ADMIN_TOKEN');
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
  });
});
