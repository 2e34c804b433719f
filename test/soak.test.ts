// A bounded soak: many users sending, dropping their connection and coming back at random, resending what was
// not acknowledged (as the chat window's outbox does). SOAK_SECONDS makes it longer (default 4).
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { expect } from 'chai';
import type { Inbound, StoredMessage } from '../server/contract.ts';
import { fileStore } from '../server/store/low-store.ts';
import { UNLIMITED } from '../server/app/security.ts';
import { connectUser, http, send, startServer, tempDir, until, type ChatSocket, type Running } from './helpers.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 4);
const USERS = 24;
const TEXTS = ['payment', '支付', 'games', '3', 'more', 'help', 'list', 'Who is Liu Hantao?', 'xyzzy'];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** A small seeded generator, so that a failing run can be replayed with SOAK_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One user: sends with clientIds, drops and reconnects at random, keeps what was not acknowledged and resends it. */
async function chatter(url: string, userId: string, until: number, rand: () => number) {
  const acked = new Map<string, string>(); // clientId → stored message id
  const outbox = new Map<string, Inbound>();
  let socket: ChatSocket | undefined;
  let sent = 0;
  let refusals = 0;
  let drops = 0;
  const deliver = async (clientId: string, inbound: Inbound) => {
    const ack = await send(socket!, inbound).catch(() => undefined); // a drop or a timeout: left in the outbox
    if (ack?.ok) {
      acked.set(clientId, ack.message.id);
      outbox.delete(clientId);
    } else if (ack) {
      refusals++;
      expect(ack.error.code, ack.error.message).to.equal('rate_limited');
      await pause(Math.min(ack.error.retryAfterMs ?? 100, 1000));
    }
  };
  const reconnect = async () => {
    socket?.close();
    socket = (await connectUser(url, userId)).socket;
    for (const [clientId, inbound] of [...outbox]) await deliver(clientId, inbound);
  };
  await reconnect();
  while (Date.now() < until) {
    const roll = rand();
    if (roll < 0.04) {
      drops++;
      // Half the time a clean disconnect, half the time the connection just goes, mid-conversation.
      if (rand() < 0.5) socket!.disconnect();
      else socket!.io.engine.close();
      await pause(rand() * 30);
      await reconnect();
      continue;
    }
    const clientId = `${userId}-${sent++}`;
    const inbound = { type: 'text' as const, text: TEXTS[Math.floor(rand() * TEXTS.length)]!, clientId };
    outbox.set(clientId, inbound);
    // Sometimes the connection drops while the message is on its way.
    const delivery = deliver(clientId, inbound);
    if (roll > 0.98) socket!.io.engine.close();
    await delivery;
    if (!socket!.connected) await reconnect();
    await pause(rand() * 5);
  }
  // Settle: whatever was never acknowledged is sent again until it is.
  for (let round = 0; outbox.size > 0 && round < 20; round++) await reconnect();
  socket!.close();
  return { acked, outbox, sent, refusals, drops };
}

async function wholeHistory(url: string, userId: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let before: string | undefined; ; ) {
    const { body } = await http(`${url}/api/messages?userId=${userId}&limit=200${before ? `&before=${before}` : ''}`, 'GET');
    all.unshift(...(body.messages as StoredMessage[]));
    if (body.messages.length < 200) return all;
    before = body.messages[0].id;
  }
}

describe('soak: clients sending, dropping and coming back at random', function () {
  this.timeout((SECONDS + 60) * 1000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: Running;
  before(async () => {
    tmp = await tempDir();
  });
  after(async () => {
    await server?.close();
    await tmp.remove();
  });

  it(`stores every acknowledged message exactly once, keeps answering, and does not grow (${SECONDS} s, ${USERS} users)`, async () => {
    // A fixed seed, so that every run plays the same chatter; SOAK_SEED tries another.
    const seed = Number(process.env.SOAK_SEED ?? 20261202);
    console.log(`      soak seed ${seed} (replay with SOAK_SEED=${seed})`);
    const store = fileStore(path.join(tmp.dir, 'db.json'), { checkpointMs: 200 });
    server = await startServer(store, { security: { ...UNLIMITED, rateLimits: { perUser: { points: 20, seconds: 1 } }, socketsPerUser: 3 } });
    // Warm up (connections, JIT, first checkpoints) before taking the baseline.
    await Promise.all(Array.from({ length: USERS }, (_, u) => chatter(server.url, `warm${u}`, Date.now() + 500, random(seed + u))));
    const baseline = heapMb();

    const end = Date.now() + SECONDS * 1000;
    const results = await Promise.all(Array.from({ length: USERS }, (_, u) => chatter(server.url, `soak${u}`, end, random(seed * 31 + u))));
    const totals = results.reduce((t, r) => ({ acked: t.acked + r.acked.size, refusals: t.refusals + r.refusals, drops: t.drops + r.drops }), { acked: 0, refusals: 0, drops: 0 });
    const context = `seed ${seed}: ${JSON.stringify(totals)}`;
    expect(totals.acked, context).to.be.greaterThan(USERS * 5);
    expect(totals.drops, context).to.be.greaterThan(0);

    for (const [u, { acked, outbox }] of results.entries()) {
      expect(outbox.size, `${context}: soak${u} has unacknowledged messages left`).to.equal(0);
      const stored = (await wholeHistory(server.url, `soak${u}`)).filter((m) => m.from === 'user');
      const byClientId = new Map<string, string[]>();
      for (const m of stored) {
        const clientId = (m as { clientId?: string }).clientId!;
        byClientId.set(clientId, [...(byClientId.get(clientId) ?? []), m.id]);
      }
      for (const [clientId, id] of acked) expect(byClientId.get(clientId), `${context}: ${clientId}`).to.deep.equal([id]);
      expect(stored.length, `${context}: soak${u} has stored messages nobody was told about`).to.equal(acked.size);
    }

    // Still answering, and nothing left behind by the users who came and went.
    const fresh = await connectUser(server.url, 'after-soak');
    expect((await send(fresh.socket, { type: 'text', text: 'games' })).ok).to.equal(true);
    fresh.socket.close();
    await until(() => server.app.openSockets() === 0 && server.app.service.busyUsers === 0, 5000);
    const grown = heapMb() - baseline;
    expect(grown, `${context}: the heap grew by ${grown.toFixed(1)} MB`).to.be.below(25);
  });
});
