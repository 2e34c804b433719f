// `npm run bench [-- --quick] [--out FILE]`: the bot against a bare Socket.IO echo server, the bot with
// growing stored history, and keyword matching with many rules. Prints a table as it goes and writes JSON.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { historyChart } from './chart.ts';
import type { LoadResult } from './load.ts';
import { buildServer, serverEntry } from '../server/build.ts';
import { root, runLoad, startServer } from './processes.ts';
import { measureRules } from './rules.ts';
import { SEED_USERS, seedStore } from './seed.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const quick = values.quick;
const plan = quick
  ? { users: [1, 100], history: [0, 100_000], warmupMs: 1000, durationMs: 3000, ruleCounts: [10, 1000, 10_000], ruleRounds: 200 }
  : { users: [1, 100, 1000], history: [0, 100_000, 1_000_000], warmupMs: 2000, durationMs: 10_000, ruleCounts: [10, 1000, 10_000], ruleRounds: 2000 };
const out = values.out ?? path.join(root, 'bench', 'results', quick ? 'quick.json' : 'latest.json');
const HISTORY_USERS = 100;
// A generator process using most of a core is itself the limit, not the server.
const GENERATOR_BOUND_CPU = 90;

// Both run as plain Node from an esbuild bundle: the bot exactly as `npm start` runs it.
const BOT = ['--enable-source-maps', serverEntry];
const echoEntry = path.join(root, 'bench', 'dist', 'echo-server.js');
const ECHO = ['--enable-source-maps', echoEntry];

async function buildServers(): Promise<void> {
  await buildServer();
  await build({ entryPoints: [path.join(root, 'bench', 'echo-server.ts')], outfile: echoEntry, bundle: true, packages: 'external', platform: 'node', format: 'esm', sourcemap: true, logLevel: 'warning' });
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const pad = (value: unknown, width: number) => String(value).padStart(width);
const bound = (r: LoadResult) => (r.cpuPercent >= GENERATOR_BOUND_CPU ? ' (generator-bound)' : '');

async function tempDb(): Promise<{ dbFile: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-bench-'));
  return { dbFile: path.join(dir, 'db.json'), remove: () => rm(dir, { recursive: true, force: true }) };
}

async function concurrency() {
  log(`\nConcurrency: the bot (lowdb on disk) against a bare Socket.IO echo server, ${plan.durationMs / 1000} s each after ${plan.warmupMs / 1000} s warm-up`);
  log(`${'users'.padStart(6)} ${'bot msg/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'echo msg/s'.padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'ratio'.padStart(6)}  generator CPU (bot / echo)`);
  const rows = [];
  for (const users of plan.users) {
    const db = await tempDb();
    const bot = await startServer(BOT, { DB_FILE: db.dbFile });
    const botResult = await runLoad({ url: bot.url, users, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: 'c', waitForReady: true });
    await bot.stop();
    await db.remove();
    const echo = await startServer(ECHO, {});
    const echoResult = await runLoad({ url: echo.url, users, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: 'e', waitForReady: false });
    await echo.stop();
    const ratio = Math.round((botResult.msgsPerSec / echoResult.msgsPerSec) * 100) / 100;
    log(
      `${pad(users, 6)} ${pad(botResult.msgsPerSec, 10)} ${pad(botResult.p50Ms, 8)} ${pad(botResult.p99Ms, 8)} ${pad(echoResult.msgsPerSec, 11)} ${pad(echoResult.p50Ms, 8)} ${pad(echoResult.p99Ms, 8)} ${pad(ratio, 6)}  ${botResult.cpuPercent}%${bound(botResult)} / ${echoResult.cpuPercent}%${bound(echoResult)}`,
    );
    rows.push({
      users,
      bot: pick(botResult),
      echo: pick(echoResult),
      ratio,
      p99Ratio: Math.round((botResult.p99Ms / echoResult.p99Ms) * 100) / 100,
      generatorCpuPercent: { bot: botResult.cpuPercent, echo: echoResult.cpuPercent },
      errors: botResult.errors + echoResult.errors,
    });
  }
  return rows;
}

async function history() {
  log(`\nHistory: the bot with stored messages spread over ${SEED_USERS} users; ${HISTORY_USERS} of them chatting`);
  log(`${'stored'.padStart(10)} ${'seed s'.padStart(7)} ${'startup ms'.padStart(11)} ${'msg/s'.padStart(7)} ${'p99 ms'.padStart(8)} ${'RSS MB'.padStart(7)}  generator CPU`);
  const rows = [];
  for (const stored of plan.history) {
    const db = await tempDb();
    const seedStart = performance.now();
    await seedStore(db.dbFile, stored);
    const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;
    const bot = await startServer(BOT, { DB_FILE: db.dbFile });
    const result = await runLoad({ url: bot.url, users: HISTORY_USERS, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: 'bench-user-', waitForReady: true });
    const rssMb = bot.rssMb();
    await bot.stop();
    await db.remove();
    log(`${pad(stored, 10)} ${pad(seedSeconds, 7)} ${pad(bot.startupMs, 11)} ${pad(result.msgsPerSec, 7)} ${pad(result.p99Ms, 8)} ${pad(rssMb, 7)}  ${result.cpuPercent}%${bound(result)}`);
    rows.push({ storedMessages: stored, msgsPerSec: result.msgsPerSec, p99Ms: result.p99Ms, startupMs: bot.startupMs, rssMb, errors: result.errors });
  }
  return rows;
}

function rules() {
  log('\nRules: keyword matching per message, in process (median)');
  const rows = plan.ruleCounts.map((count) => {
    const microsPerMessage = measureRules(count, plan.ruleRounds);
    log(`${pad(count, 8)} rules ${pad(microsPerMessage, 8)} µs`);
    return { rules: count, microsPerMessage };
  });
  return rows;
}

function pick(r: LoadResult) {
  return { msgsPerSec: r.msgsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
}

const started = performance.now();
await buildServers();
log(`Benchmark (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
const results = {
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  date: new Date().toISOString(),
  concurrency: await concurrency(),
  history: await history(),
  rules: rules(),
};
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
const echoAt100 = results.concurrency.find((r) => r.users === 100)?.echo.msgsPerSec;
const chart = out.replace(/\.json$/, '-history.svg');
await writeFile(chart, historyChart(results.history, echoAt100));
log(`\nWrote ${path.relative(process.cwd(), out)} and ${path.relative(process.cwd(), chart)} in ${Math.round((performance.now() - started) / 1000)} s`);
