// `npm run bench -- --mass [--quick]`: a mass message to every follower (message/mass/sendall, is_to_all), from the
// call to the MASSSENDJOBFINISH the server under test receives, in followers per second, on lowdb files and on
// Redis (when redis-server is there). The same run also times the followers' own follows (one chat turn each, the
// pushes to the server included) as the reference the mass rate is read against. In-process: the simulator as
// openApp builds it, a plain HTTP server as the server under test, several rounds, medians.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadContent } from '../server/content/load-content.ts';
import { openApp } from '../server/app/start.ts';
import { silentLogger } from '../server/logger.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { fileStore } from '../server/store/low-store.ts';
import { RedisStore } from '../server/store/redis-store.ts';
import { remoteResponder } from '../server/wechat/remote-bot.ts';
import { hasRedisServer, root, startRedis } from './processes.ts';

const dataDir = path.join(root, 'data');

const TOKEN = 'bench-token';
const APPID = 'wxbench0000000000';
const SECRET = 'bench-secret-0123456789';
const FOLLOWS_AT_ONCE = 64;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The server under test: answers every push `success`, and says when a MASSSENDJOBFINISH came. */
async function accountServer(): Promise<{ url: string; finished: (msgId: string) => Promise<string>; close: () => Promise<void> }> {
  const waiting = new Map<string, (xml: string) => void>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.end('success');
      const msgId = /<Event><!\[CDATA\[MASSSENDJOBFINISH\]\]><\/Event><MsgID>(\d+)<\/MsgID>/.exec(body)?.[1];
      if (msgId) waiting.get(msgId)?.(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`,
    finished: (msgId) => new Promise((resolve) => waiting.set(msgId, resolve)),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function json(url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

type Round = { followsPerSec: number; massPerSec: number };

/** One round on a fresh store: `followers` users follow, then one mass text reaches them all. */
async function round(store: ChatStore, followers: number): Promise<Round> {
  const account = await accountServer();
  const target = { url: account.url, token: TOKEN, retries: 0 };
  const app = await openApp({ store, content: loadContent({ contentFile: path.join(dataDir, 'article.md'), accountFile: path.join(dataDir, 'account.json'), rulesFile: path.join(dataDir, 'rules.json') }), logger: silentLogger, responder: remoteResponder(target), platform: { appId: APPID, secret: SECRET, target } });
  const base = await app.listen(0, '127.0.0.1');
  try {
    const followStarted = performance.now();
    for (let i = 0; i < followers; i += FOLLOWS_AT_ONCE) {
      const batch = Array.from({ length: Math.min(FOLLOWS_AT_ONCE, followers - i) }, (_, j) => app.service.receive(`mass-${i + j}`, { type: 'event', event: 'subscribe' }));
      await Promise.all(batch);
    }
    const followSeconds = (performance.now() - followStarted) / 1000;
    const { access_token } = await json(`${base}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
    const massStarted = performance.now();
    const sent = await json(`${base}/cgi-bin/message/mass/sendall?access_token=${access_token}`, { filter: { is_to_all: true }, msgtype: 'text', text: { content: 'To every follower' } });
    if (sent.errcode !== 0) throw new Error(`sendall: ${JSON.stringify(sent)}`);
    const xml = await account.finished(String(sent.msg_id));
    const massSeconds = (performance.now() - massStarted) / 1000;
    const sentCount = Number(/<SentCount>(\d+)<\/SentCount>/.exec(xml)?.[1]);
    if (sentCount !== followers) throw new Error(`SentCount ${sentCount} of ${followers}`);
    return { followsPerSec: Math.round(followers / followSeconds), massPerSec: Math.round(followers / massSeconds) };
  } finally {
    await app.close();
    await account.close();
  }
}

export async function measureMass({ quick, log }: { quick: boolean; log: (line: string) => void }) {
  const plan = quick ? { followers: 2000, rounds: 2 } : { followers: 10_000, rounds: 3 };
  const stores: Array<{ label: string; open: (dir: string) => Promise<{ store: ChatStore; stop: () => Promise<void> }> }> = [
    { label: 'lowdb files', open: async (dir) => ({ store: fileStore(path.join(dir, 'db.json')), stop: async () => {} }) },
  ];
  if (hasRedisServer()) {
    stores.push({
      label: 'Redis',
      open: async (dir) => {
        const redis = await startRedis(dir);
        return { store: new RedisStore({ url: redis.url }), stop: () => redis.stop() };
      },
    });
  }
  log(`${'store'.padEnd(14)} ${'followers'.padStart(9)} ${'follows/s'.padStart(10)} ${'mass/s'.padStart(8)} ${'ratio'.padStart(6)}`);
  const results = [];
  for (const { label, open } of stores) {
    const rounds: Round[] = [];
    for (let n = 0; n < plan.rounds; n++) {
      const dir = await mkdtemp(path.join(tmpdir(), 'oa-bench-mass-'));
      const { store, stop } = await open(dir);
      try {
        rounds.push(await round(store, plan.followers));
      } finally {
        await stop();
        await rm(dir, { recursive: true, force: true });
      }
    }
    const followsPerSec = median(rounds.map((r) => r.followsPerSec));
    const massPerSec = median(rounds.map((r) => r.massPerSec));
    const ratio = Math.round((massPerSec / followsPerSec) * 100) / 100;
    log(`${label.padEnd(14)} ${String(plan.followers).padStart(9)} ${String(followsPerSec).padStart(10)} ${String(massPerSec).padStart(8)} ${String(ratio).padStart(6)}`);
    results.push({ store: label, followers: plan.followers, rounds, followsPerSec, massPerSec, massToFollowRatio: ratio, massSeconds: Math.round((plan.followers / massPerSec) * 100) / 100 });
  }
  return { followers: plan.followers, rounds: plan.rounds, results };
}
