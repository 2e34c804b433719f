// `npx tsx bench/scale-out.ts [--quick]`: the same load on one process on lowdb, one process on Redis, and two
// processes on Redis (the load generators split the users over both), with the CPU of every server process
// and of redis-server. measureScaleOut() is what the main benchmark can call.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildServer, serverEntry } from '../server/build.ts';
import { runLoad, startRedis, startServer, type Measured, type Running } from './processes.ts';

export type ScaleOutResult = {
  setup: 'lowdb, 1 process' | 'Redis, 1 process' | 'Redis, 2 processes';
  users: number;
  msgsPerSec: number;
  p99Ms: number;
  errors: number;
  /** Each server process's CPU over its measured window, as a share of one core. */
  serverCpuPercent: number[];
  /** redis-server's CPU over the same stretch, as a share of one core; undefined without Redis. */
  redisCpuPercent?: number;
};

// As in run.ts: a load test is a flood by design, so the limits stay in the path but far above the load.
const BOT_ENV = { RATE_LIMIT_USER: '1000000000/1s', RATE_LIMIT_ADDRESS: '1000000000/1s' };

/** Drives `servers` with `users` users split evenly over them, all at once, and adds up what they did. */
async function drive(servers: Running[], users: number, plan: { warmupMs: number; durationMs: number }, prefix: string): Promise<Measured[]> {
  const share = Math.ceil(users / servers.length);
  return Promise.all(servers.map((server, i) => runLoad({ url: server.url, users: share, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: `${prefix}-${i}-`, waitForReady: true }, server)));
}

/** Runs the three setups with the same load; `log` gets one line per setup. */
export async function measureScaleOut({ quick = false, log = (_line: string) => {} } = {}): Promise<ScaleOutResult[]> {
  const plan = quick ? { users: 100, warmupMs: 1000, durationMs: 3000 } : { users: 200, warmupMs: 2000, durationMs: 10_000 };
  await buildServer();
  const results: ScaleOutResult[] = [];
  const setups = [
    { setup: 'lowdb, 1 process', processes: 1, redis: false },
    { setup: 'Redis, 1 process', processes: 1, redis: true },
    { setup: 'Redis, 2 processes', processes: 2, redis: true },
  ] as const;
  for (const { setup, processes, redis: onRedis } of setups) {
    const dir = await mkdtemp(path.join(tmpdir(), 'oa-scale-'));
    // The same redis-server settings as the main benchmark's bot on Redis (REDIS_ARGS in processes.ts).
    const redis = onRedis ? await startRedis(dir) : undefined;
    const servers: Running[] = [];
    try {
      for (let i = 0; i < processes; i++) {
        const env = { ...BOT_ENV, DB_FILE: path.join(dir, `db${i}.json`), ...(redis ? { REDIS_URL: redis.url } : {}) };
        servers.push(await startServer(['--enable-source-maps', serverEntry], env));
      }
      const redisStart = redis && { cpu: redis.cpuSeconds(), at: performance.now() };
      const measured = await drive(servers, plan.users, plan, setup.replace(/\W+/g, ''));
      const redisCpuPercent = redis && redisStart ? Math.round(((redis.cpuSeconds() - redisStart.cpu) / ((performance.now() - redisStart.at) / 1000)) * 100) : undefined;
      const result: ScaleOutResult = {
        setup,
        users: plan.users,
        msgsPerSec: Math.round(measured.reduce((sum, m) => sum + m.msgsPerSec, 0)),
        // The worse of the generators' p99s: a merged histogram would be a little lower, never higher.
        p99Ms: Math.max(...measured.map((m) => m.p99Ms)),
        errors: measured.reduce((sum, m) => sum + m.errors, 0),
        serverCpuPercent: measured.map((m) => m.serverCpuPercent),
        redisCpuPercent,
      };
      results.push(result);
      log(
        `${setup.padEnd(20)} ${String(result.msgsPerSec).padStart(7)} ${String(result.p99Ms).padStart(8)} ${result.serverCpuPercent.map((c) => `${c}%`).join(' + ').padStart(14)} ${(redisCpuPercent === undefined ? '-' : `${redisCpuPercent}%`).padStart(10)} ${String(result.errors).padStart(7)}`,
      );
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await redis?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const line = (text: string) => process.stdout.write(`${text}\n`);
  line(`Scale-out: the same load (${values.quick ? 100 : 200} users, each waiting for its ack) on each setup; CPU as a share of one core`);
  line(`${'setup'.padEnd(20)} ${'msg/s'.padStart(7)} ${'p99 ms'.padStart(8)} ${'server CPU'.padStart(14)} ${'redis CPU'.padStart(10)} ${'errors'.padStart(7)}`);
  await measureScaleOut({ quick: values.quick, log: line });
}
