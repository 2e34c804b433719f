// WeChat Pay under load: orders placed (Native, by wechatpay-axios-plugin, every answer's signature checked)
// and paid (POST /api/pay/payments) per second by the built server on lowdb and on Redis, and a notification's
// latency: from the payment's request (Pay tapped) to TRANSACTION.SUCCESS at a local handler. Medians over interleaved rounds.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serverEntry } from '../server/build.ts';
import { startRedis, startServer } from './processes.ts';

const require = createRequire(import.meta.url);
const { Wechatpay, Aes } = require('wechatpay-axios-plugin');

const MCHID = '1900000109';
const SERIAL = '3775B6A45ACD588826D15E583A95F5DD2A1D1E3A';
const APIV3_KEY = 'APIv3-key-of-the-bench-012345678';
const CONCURRENT = 20;

export type PaymentRun = { paymentsPerSec: number; notifyP50Ms: number; notifyP99Ms: number; errors: number };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100 : 0;
};
const median = (values: number[]) => percentile(values, 0.5);

/** One round on a fresh store: CONCURRENT buyers placing and paying orders for `durationMs`. */
async function round(store: 'lowdb' | 'redis', durationMs: number, key: { privatePem: string; keyFile: string }, env: Record<string, string>): Promise<PaymentRun> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-bench-pay-'));
  const redis = store === 'redis' ? await startRedis(dir) : undefined;
  const paidAt = new Map<string, number>();
  const latencies: number[] = [];
  const handler = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const arrived = performance.now();
      const { resource } = JSON.parse(raw);
      const { out_trade_no: no } = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, APIV3_KEY, resource.nonce, resource.associated_data));
      const paid = paidAt.get(no);
      if (paid !== undefined) latencies.push(arrived - paid);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => handler.listen(0, '127.0.0.1', r));
  const notifyUrl = `http://127.0.0.1:${(handler.address() as AddressInfo).port}/notify`;
  const server = await startServer(['--enable-source-maps', serverEntry], {
    ...env,
    DB_FILE: path.join(dir, 'db.json'),
    ...(redis ? { REDIS_URL: redis.url } : {}),
    PAY_MCHID: MCHID,
    PAY_MCH_SERIAL: SERIAL,
    PAY_MCH_PUBLIC_KEY: key.keyFile,
    PAY_APIV3_KEY: APIV3_KEY,
  });
  try {
    const platformKey = (await (await fetch(`${server.url}/api/pay/public-key`)).json()) as { keyId: string; pem: string };
    const wxpay = new Wechatpay({ mchid: MCHID, serial: SERIAL, privateKey: key.privatePem, certs: { [platformKey.keyId]: platformKey.pem }, baseURL: `${server.url}/` });
    let payments = 0;
    let errors = 0;
    let next = 0;
    const until = performance.now() + durationMs;
    const buyer = async (b: number) => {
      while (performance.now() < until) {
        const no = `B${b}N${(next += 1)}T${Date.now() % 1e6}`;
        try {
          const { data } = await wxpay.v3.pay.transactions.native.post({ appid: 'wx0123456789abcdef', mchid: MCHID, description: 'bench', out_trade_no: no, notify_url: notifyUrl, amount: { total: 1, currency: 'CNY' } });
          paidAt.set(no, performance.now()); // the notification may come before the payment's answer
          const res = await fetch(`${server.url}/api/pay/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: `buyer-${b}`, code_url: data.code_url }) });
          const answer = (await res.json()) as { ok?: boolean };
          if (!answer.ok) throw new Error(JSON.stringify(answer));
          payments += 1;
        } catch (err) {
          if (process.env.BENCH_DEBUG) console.error(err);
          errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, (_, b) => buyer(b)));
    // The last notifications are on their way: wait for them (bounded) before counting latencies.
    const deadline = performance.now() + 5000;
    while (latencies.length < payments && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { paymentsPerSec: Math.round(payments / (durationMs / 1000)), notifyP50Ms: median(latencies), notifyP99Ms: percentile(latencies, 0.99), errors: errors + (payments - latencies.length) };
  } finally {
    await server.stop();
    await redis?.stop();
    handler.closeAllConnections();
    await new Promise<void>((r) => handler.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** Orders placed and paid per second and the notification latency, on lowdb and (when there) Redis, `rounds` interleaved rounds each. */
export async function measurePayments({ quick, withRedis, env, log }: { quick: boolean; withRedis: boolean; env: Record<string, string>; log: (line: string) => void }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyDir = await mkdtemp(path.join(tmpdir(), 'oa-bench-key-'));
  const keyFile = path.join(keyDir, 'apiclient_pub.pem');
  await writeFile(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const key = { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyFile };
  const stores = withRedis ? (['lowdb', 'redis'] as const) : (['lowdb'] as const);
  const rounds = quick ? 2 : 3;
  const durationMs = quick ? 3000 : 10_000;
  const runs: Record<string, PaymentRun[]> = Object.fromEntries(stores.map((s) => [s, []]));
  try {
    for (let r = 0; r < rounds; r++) for (const store of stores) runs[store]!.push(await round(store, durationMs, key, env));
  } finally {
    await rm(keyDir, { recursive: true, force: true });
  }
  return stores.map((store) => {
    const each = runs[store]!;
    const result = {
      store,
      concurrent: CONCURRENT,
      paymentsPerSec: median(each.map((r) => r.paymentsPerSec)),
      notifyP50Ms: median(each.map((r) => r.notifyP50Ms)),
      notifyP99Ms: median(each.map((r) => r.notifyP99Ms)),
      errors: each.reduce((sum, r) => sum + r.errors, 0),
      rounds: each.length,
    };
    log(`${store.padEnd(8)} ${String(result.paymentsPerSec).padStart(10)} ${String(result.notifyP50Ms).padStart(14)} ${String(result.notifyP99Ms).padStart(14)} ${String(result.errors).padStart(7)}`);
    return result;
  });
}
