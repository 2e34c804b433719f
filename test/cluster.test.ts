// Several processes of the real server on one redis-server of the test's own, and on a Redis Cluster of three
// masters of the test's own, over real sockets and HTTP.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Account, MessageAck, StoredMessage } from '../server/contract.ts';
import { buildServer } from '../server/build.ts';
import { connectUser, http, tempDir, until, type ChatSocket } from './helpers.ts';
import { start, stop, type Started } from './process-helpers.ts';
import { clusterMissing, startRedis, startRedisCluster, type RedisServer } from './redis-helpers.ts';

/**
 * A MONITOR connection to `url`. ioredis's monitor() opens a connection of its own, so the client it was asked
 * from is closed here: left open, it would report the later outage tests' Redis restarts as unhandled errors.
 */
async function watchCommands(url: string) {
  const client = new Redis(url);
  try {
    return await client.monitor();
  } finally {
    client.disconnect();
  }
}

const USER_LIMIT = 6;
const APPID = 'wxcluster0000001';
const SECRET = 'cluster-secret';
type Ok = Extract<MessageAck, { ok: true }>;

/** Sends over a socket with a generous timeout: an outage answers within a few seconds, not at once. */
const sendSlow = (socket: ChatSocket, inbound: object): Promise<MessageAck> => socket.timeout(15_000).emitWithAck('message', inbound as never);
const post = (server: Started, userId: string, text: string, clientId?: string) => http(`${server.url}/api/messages`, 'POST', { userId, type: 'text', text, clientId });
const historyOf = async (server: Started, userId: string): Promise<StoredMessage[]> => (await http(`${server.url}/api/messages?userId=${userId}&limit=200`, 'GET')).body.messages;

/** Where the processes keep their state: the settings that point them at it, and a single Redis's controls (outages). */
type Backend = { env: Record<string, string>; stop: () => Promise<void>; single?: RedisServer };

describeManyProcesses('many processes on one Redis', async () => {
  // appendfsync always: what Redis acknowledged is on its disk, so the outage test can kill it and restart.
  const single = await startRedis({ appendonly: true });
  return { env: { REDIS_URL: single.url }, stop: () => single.stop(), single };
});

describeManyProcesses('many processes on a Redis Cluster of three masters', async () => {
  const cluster = await startRedisCluster();
  return { env: { REDIS_URL: cluster.url, REDIS_CLUSTER: '1' }, stop: cluster.stop };
}, clusterMissing());

function describeManyProcesses(title: string, startBackend: () => Promise<Backend>, missing?: string): void {
  describe(title, function () {
    this.timeout(60_000);
    let backend: Backend;
    const servers: Started[] = [];
    const folders: Array<() => Promise<void>> = [];
    let a: Started;
    let b: Started;

    /** Another process of the project on the shared Redis, with a data folder of its own (unused: Redis holds the data). */
    const startProcess = async () => {
      const tmp = await tempDir();
      folders.push(tmp.remove);
      const server = await start({ ...backend.env, DB_FILE: `${tmp.dir}/db.json`, RATE_LIMIT_USER: `${USER_LIMIT}/60s`, TARGET_APPID: APPID, TARGET_SECRET: SECRET });
      servers.push(server);
      return server;
    };

    before(async function () {
      if (missing) {
        process.stderr.write(`${missing}\n`);
        return this.skip();
      }
      await buildServer();
      backend = await startBackend();
      [a, b] = await Promise.all([startProcess(), startProcess()]);
    });
    after(async () => {
      await Promise.all(servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null).map(stop));
      await backend?.stop();
      await Promise.all(folders.map((remove) => remove()));
    });

    it('pushes a message sent to one process to the user’s socket on another, and not back to the sender', async () => {
      const onA = await connectUser(a.url, 'push-1');
      const onB = await connectUser(b.url, 'push-1');
      try {
        const ack = (await sendSlow(onB.socket, { type: 'text', text: 'games' })) as Ok;
        expect(ack.ok).to.equal(true);
        await until(() => onA.received.length >= 1 + ack.replies.length, 5000);
        expect(onA.received.map((m) => m.id)).to.deep.equal([ack.message.id, ...ack.replies.map((r) => r.id)]);
        const viaHttp = await post(a, 'push-1', 'help');
        expect(viaHttp.status).to.equal(200);
        await until(() => onB.received.some((m) => m.id === viaHttp.body.message.id), 5000);
        expect(onB.received.map((m) => m.id)).to.not.include(ack.message.id);
      } finally {
        onA.socket.close();
        onB.socket.close();
      }
    });

    it('shares history, clientIds and the welcome: a user on two processes at once is welcomed once', async () => {
      const alone = await connectUser(a.url, 'welcome-alone');
      alone.socket.close();
      const welcome = alone.ready.history.length;
      expect(welcome).to.be.greaterThan(0);
      const both = await Promise.all([connectUser(a.url, 'welcome-both'), connectUser(b.url, 'welcome-both')]);
      for (const { socket } of both) socket.close();
      expect(await historyOf(a, 'welcome-both')).to.have.length(welcome);

      const first = await post(a, 'welcome-both', 'payment', 'same-1');
      const again = await post(b, 'welcome-both', 'payment', 'same-1');
      expect(again.body.message.id).to.equal(first.body.message.id);
      const history = await historyOf(b, 'welcome-both');
      expect(history.filter((m) => m.id === first.body.message.id)).to.have.length(1);
      expect(history).to.have.length(welcome + 1 + first.body.replies.length);
    });

    it('answers on every process with a rule added on one', async () => {
      const rule = { name: 'Cluster rule', keywords: [{ text: 'clusterword', match: 'equal' }], replies: [{ type: 'text', text: 'added on A' }] };
      expect((await http(`${a.url}/api/rules`, 'POST', rule)).status).to.be.within(200, 201);
      const answer = await post(b, 'rules-1', 'clusterword');
      expect(answer.body.replies.map((r: { text?: string }) => r.text)).to.deep.equal(['added on A']);
      const listed = (await http(`${b.url}/api/rules`, 'GET')).body.rules as Array<{ name: string }>;
      expect(listed.map((r) => r.name)).to.include('Cluster rule');
    });

    it('shows a menu created through one process in new and open windows of every process, announced once', async () => {
      const open = await connectUser(b.url, 'menu-open');
      const accounts: Account[] = [];
      open.socket.on('account', (account) => accounts.push(account));
      try {
        const token = (await http(`${a.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`, 'GET')).body.access_token as string;
        const button = [{ type: 'click', name: 'Cluster', key: 'CLUSTER' }];
        const created = await http(`${a.url}/cgi-bin/menu/create?access_token=${token}`, 'POST', { button });
        expect(created.body).to.include({ errcode: 0 });
        await until(() => accounts.length >= 1, 5000);
        // A token from one process is good on another: they share the store.
        const fromB = await http(`${b.url}/cgi-bin/menu/get?access_token=${token}`, 'GET');
        expect(fromB.body.menu.button).to.have.length(1);
        expect(fromB.body.menu.button[0]).to.include({ type: 'click', name: 'Cluster', key: 'CLUSTER' });
        let fresh;
        const deadline = Date.now() + 5000;
        do {
          fresh = await connectUser(b.url, 'menu-new');
          fresh.socket.close();
        } while (fresh.ready.account.menu[0]?.name !== 'Cluster' && Date.now() < deadline);
        expect(fresh.ready.account.menu).to.deep.equal([{ name: 'Cluster', key: 'CLUSTER' }]);
        // A second change is the barrier: notices travel in order, so a repeat of the first would come before it.
        await http(`${a.url}/cgi-bin/menu/create?access_token=${token}`, 'POST', { button: [{ type: 'click', name: 'Second', key: 'SECOND' }] });
        await until(() => accounts.some((account) => account.menu[0]?.name === 'Second'), 5000);
        expect(accounts.map((account) => account.menu[0]?.name), 'the open window on another process is told once a change').to.deep.equal(['Cluster', 'Second']);
      } finally {
        open.socket.close();
      }
    });

    it('holds the per-user rate limit across processes', async () => {
      const answers = [];
      for (let i = 0; i < USER_LIMIT + 2; i++) answers.push(await post(i % 2 ? b : a, 'limited-1', `hello ${i}`));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).to.have.length(USER_LIMIT);
      expect(statuses.slice(USER_LIMIT)).to.deep.equal([429, 429]);
      // The time left of the window both processes share, as Redis counts it (its 60 s, less what has gone).
      for (const refused of answers.slice(USER_LIMIT)) expect(refused.body.error.retryAfterMs).to.be.within(50_000, 60_000);
    });

    it('loses nothing a process acknowledged when it is killed with SIGKILL mid-burst', async () => {
      const doomed = await startProcess();
      const users = await Promise.all(Array.from({ length: 6 }, (_, u) => connectUser(doomed.url, `burst-${u}`)));
      const acked = new Map<string, string[]>();
      let acks = 0;
      const bursts = users.map(async ({ socket }, u) => {
        for (let i = 0; i < USER_LIMIT - 1; i++) {
          const ack = await sendSlow(socket, { type: 'text', text: `burst ${u}-${i}`, clientId: `burst-${u}-${i}` }).catch(() => undefined);
          if (!ack) return; // the process died before answering
          if (ack.ok) {
            acked.set(`burst-${u}`, [...(acked.get(`burst-${u}`) ?? []), ack.message.id, ...ack.replies.map((r) => r.id)]);
            if (++acks === 8) doomed.child.kill('SIGKILL');
          }
        }
      });
      await doomed.exited;
      for (const { socket } of users) socket.close();
      await Promise.allSettled(bursts);
      expect(acks).to.be.at.least(8);
      for (const [userId, ids] of acked) {
        const stored = (await historyOf(a, userId)).map((m) => m.id);
        expect(stored).to.include.members(ids);
      }
      // A resend of the last acknowledged message to another process is answered from the store, not again.
      const [userId, ids] = [...acked.entries()][0]!;
      const u = userId.slice('burst-'.length);
      const count = ids.length;
      expect(count).to.be.greaterThan(0);
      const resend = await post(b, userId, 'again', `burst-${u}-0`);
      expect(resend.body.message.id).to.equal(ids[0]);
    });

    it('publishes a turn’s pushes once, however many messages it stored, and charges its address and user limits in one script', async function () {
      if (!backend.single) return this.skip(); // on a cluster each counter is a script of its own, in its own slot
      const monitor = await watchCommands(backend.single.url);
      const commands: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
      const { socket } = await connectUser(a.url, 'counted-1');
      const elsewhere = await connectUser(b.url, 'counted-1'); // a window on the other process: someone to publish to
      try {
        const first = (await sendSlow(socket, { type: 'text', text: 'games' })) as Ok;
        expect(first.replies.length, 'a turn with a reply: two messages to push').to.be.at.least(1);
        // The next turn's publish is the barrier: one connection publishes them in order.
        const second = (await sendSlow(socket, { type: 'text', text: 'help' })) as Ok;
        await until(() => commands.some((c) => /PUBLISH/i.test(c[0]!) && c.join(' ').includes(second.message.id)), 5000);
        const publishes = commands.filter((c) => /PUBLISH/i.test(c[0]!) && c.join(' ').includes(first.message.id));
        expect(publishes, 'one publish carries the message and its replies').to.have.length(1);
        for (const reply of first.replies) expect(publishes[0]!.join(' ')).to.include(reply.id);
        // MONITOR shows a script's own commands too (INCR, PTTL): only the calls from the process count.
        const userCharges = commands.filter((c) => /^EVAL/i.test(c[0]!) && c.includes('oa:rate:user:{counted-1}'));
        expect(userCharges).to.have.length(2);
        for (const charge of userCharges) expect(charge.some((arg) => arg.startsWith('oa:rate:address:')), charge.join(' ')).to.equal(true);
      } finally {
        socket.close();
        elsewhere.socket.close();
        monitor.disconnect();
      }
    });

    it('publishes nothing for a user whose windows are all on one process, and publishes again while another process has one', async function () {
      if (!backend.single) return this.skip(); // MONITOR sees one node; on a cluster the publish goes to its channel's
      const monitor = await watchCommands(backend.single.url);
      const seen: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
      const publishes = () => seen.filter((c) => /PUBLISH/i.test(c[0]!)).map((c) => c.join(' '));
      const admin = new Redis(backend.single.url);
      const watchers = async () => Object.values(await admin.hgetall('oa:watchers:{alone-1}')).sort();
      const first = await connectUser(a.url, 'alone-1');
      const second = await connectUser(a.url, 'alone-1');
      try {
        expect(await watchers(), "a's two windows, counted under a's id").to.deep.equal(['2']);
        const alone = (await sendSlow(first.socket, { type: 'text', text: 'games' })) as Ok;
        await until(() => second.received.some((m) => m.id === alone.message.id), 5000); // the other tab, on this process
        const onB = await connectUser(b.url, 'alone-1');
        const shared = (await sendSlow(first.socket, { type: 'text', text: 'help' })) as Ok;
        await until(() => onB.received.some((m) => m.id === shared.message.id), 5000);
        onB.socket.close();
        for (const start = Date.now(); (await watchers()).length !== 1; ) {
          if (Date.now() - start > 5000) throw new Error("b's closed window was not counted");
          await new Promise((r) => setTimeout(r, 10));
        }
        const after = (await sendSlow(first.socket, { type: 'text', text: 'list' })) as Ok;
        await until(() => second.received.some((m) => m.id === after.message.id), 5000);
        // A publish of `after` would leave before the next turn's commit: once MONITOR shows that commit, it would show the publish.
        const more = (await sendSlow(first.socket, { type: 'text', text: 'more' })) as Ok;
        await until(() => seen.some((c) => c.includes(more.message.id)), 5000);
        expect(publishes().filter((p) => p.includes(alone.message.id)), 'no publish while every window was on a').to.deep.equal([]);
        expect(publishes().filter((p) => p.includes(shared.message.id)), 'one publish while b had a window').to.have.length(1);
        expect(publishes().filter((p) => p.includes(after.message.id)), 'none after it closed').to.deep.equal([]);
      } finally {
        first.socket.close();
        second.socket.close();
        monitor.disconnect();
        admin.disconnect();
      }
    });

    it('opens a turn in the round trip that takes its lock and lets it go with the commit: three commands name the user, and the rules version is read inside the lock script', async function () {
      if (!backend.single) return this.skip(); // on a cluster the version lives in another slot and is read beside the lock
      const { socket } = await connectUser(a.url, 'counted-2');
      // `ready` comes inside the connection's turn: its lock goes just after, and that release is not the message's.
      const admin = new Redis(backend.single.url);
      try {
        for (const start = Date.now(); (await admin.exists('oa:lock:{counted-2}')) !== 0; ) {
          if (Date.now() - start > 5000) throw new Error("the connection's lock was not let go");
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        admin.disconnect();
      }
      const monitor = await watchCommands(backend.single.url);
      const commands: { args: string[]; source: string }[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => commands.push({ args, source }));
      try {
        const ack = (await sendSlow(socket, { type: 'text', text: 'games' })) as Ok;
        // The commit script ends by deleting the lock: once MONITOR shows that, it has shown the whole turn.
        await until(() => commands.some((c) => c.source === 'lua' && /^DEL$/i.test(c.args[0]!) && c.args[1] === 'oa:lock:{counted-2}'), 5000);
        expect(ack.ok).to.equal(true);
        // MONITOR shows what scripts run inside (source "lua"); only the calls the process sent count.
        const sent = commands.filter((c) => c.source !== 'lua');
        const naming = sent.filter((c) => c.args.some((arg) => arg.includes('{counted-2}')));
        expect(naming.map((c) => c.args[0]), `rate limits, lock and open, commit; sent: ${JSON.stringify(naming.map((c) => c.args.slice(0, 4)))}`).to.have.length(3);
        const inCommit = commands.filter((c) => c.source === 'lua' && /^DEL$/i.test(c.args[0]!)).map((c) => c.args[1]);
        expect(inCommit, 'the commit script deletes the lock').to.deep.equal(['oa:lock:{counted-2}']);
        expect(sent.filter((c) => /^GET$/i.test(c.args[0]!) && c.args[1]!.startsWith('oa:rules-version')), 'no rules-version read beside the lock').to.deep.equal([]);
      } finally {
        socket.close();
        monitor.disconnect();
      }
    });

    // Outages of a single Redis; a cluster's failover is not tested here (docs/scale-out.md).
    it('refuses with storage_unavailable while Redis does not answer, says so on /healthz, and recovers by itself', async function () {
      if (!backend.single) return this.skip();
      const redis = backend.single;
      const { socket } = await connectUser(a.url, 'outage-1');
      try {
        redis.pause(); // SIGSTOP: connections stay open, nothing answers
        const refused = await post(a, 'outage-1', 'games', 'outage-c1');
        expect(refused.status).to.equal(503);
        expect(refused.body.error.code).to.equal('storage_unavailable');
        const ack = await sendSlow(socket, { type: 'text', text: 'games', clientId: 'outage-c2' });
        expect(ack.ok).to.equal(false);
        expect((ack as Extract<MessageAck, { ok: false }>).error.code).to.equal('storage_unavailable');
        const health = await http(`${b.url}/healthz`, 'GET');
        expect(health.status).to.equal(503);
        expect(health.body.reason).to.match(/Redis/);
        redis.resume();
        await waitHealthy([a, b]);
        // The resend with the same clientId is answered once, whether or not Redis applied the first try late.
        const resent = await post(b, 'outage-1', 'games', 'outage-c1');
        expect(resent.status).to.equal(200);
        const history = await historyOf(a, 'outage-1');
        expect(history.filter((m) => m.id === resent.body.message.id)).to.have.length(1);
      } finally {
        redis.resume();
        socket.close();
      }
    });

    it('refuses at once while Redis is down, and keeps what it acknowledged across a Redis restart (appendfsync always)', async function () {
      if (!backend.single) return this.skip();
      const redis = backend.single;
      const before = await post(a, 'restart-1', 'payment');
      expect(before.status).to.equal(200);
      await redis.kill();
      const refused = await post(b, 'restart-1', 'games');
      expect(refused.status).to.equal(503);
      expect(refused.body.error.code).to.equal('storage_unavailable');
      expect((await http(`${a.url}/healthz`, 'GET')).status).to.equal(503);
      await redis.restart();
      await waitHealthy([a, b]);
      const history = (await historyOf(b, 'restart-1')).map((m) => m.id);
      expect(history).to.include(before.body.message.id);
      expect((await post(b, 'restart-1', 'games')).status).to.equal(200);
    });
  });
}

/** Polls /healthz until every server says ok again. */
async function waitHealthy(servers: Started[]): Promise<void> {
  for (const server of servers) {
    const deadline = Date.now() + 20_000;
    while ((await http(`${server.url}/healthz`, 'GET').catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline) throw new Error(`${server.url} did not recover`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
