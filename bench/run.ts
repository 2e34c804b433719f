// `npm run bench [-- --quick] [--out FILE]`: the bot against a bare Socket.IO echo server (and against a server
// that sends what the contract requires and does nothing else), the bot with growing stored history, and keyword
// matching with many rules. Prints a table as it goes; writes bench/results/latest.json and a chart, and for a
// full run also full.json, the figures the README quotes.
import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { historyChart } from './chart.ts';
import { buildServer, serverEntry } from '../server/build.ts';
import { root, runLoad, startServer, type Measured } from './processes.ts';
import { measureRules } from './rules.ts';
import { SEED_USERS, seedStore } from './seed.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const quick = values.quick;
const plan = quick
  ? { users: [1, 100], history: [0, 100_000], warmupMs: 1000, durationMs: 3000, ruleCounts: [10, 1000, 10_000], ruleRounds: 200 }
  : { users: [1, 100, 1000], history: [0, 100_000, 1_000_000], warmupMs: 2000, durationMs: 10_000, ruleCounts: [10, 1000, 10_000], ruleRounds: 2000 };
const resultsDir = path.join(root, 'bench', 'results');
const out = values.out ?? path.join(resultsDir, 'latest.json');
const HISTORY_USERS = 100;
// A process using most of a core is itself the limit: a generator that is, did not measure the server.
const SATURATED_CPU = 90;

// All run as plain Node from esbuild bundles: the bot exactly as `npm start` runs it.
const bundle = (name: string) => path.join(root, 'bench', 'dist', `${name}.js`);
const SERVERS = {
  bot: ['--enable-source-maps', serverEntry],
  contractEcho: ['--enable-source-maps', bundle('contract-echo-server')],
  echo: ['--enable-source-maps', bundle('echo-server')],
};
type ServerName = keyof typeof SERVERS;
// A load test is a flood by design: the bot's rate limits stay in the path, set far above what the load reaches.
const BOT_ENV = { RATE_LIMIT_USER: '1000000000/1s', RATE_LIMIT_ADDRESS: '1000000000/1s' };
const LABELS: Record<ServerName, string> = { bot: 'bot', contractEcho: 'contract echo', echo: 'echo' };
// The bare echo has no `ready` event: its users start as soon as they are connected.
const SENDS_READY: Record<ServerName, boolean> = { bot: true, contractEcho: true, echo: false };

async function buildServers(): Promise<void> {
  await buildServer();
  for (const name of ['echo-server', 'contract-echo-server']) {
    await build({ entryPoints: [path.join(root, 'bench', `${name}.ts`)], outfile: bundle(name), bundle: true, packages: 'external', platform: 'node', format: 'esm', sourcemap: true, logLevel: 'warning' });
  }
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const pad = (value: unknown, width: number) => String(value).padStart(width);
const round2 = (value: number) => Math.round(value * 100) / 100;
const cpuCell = (percent: number) => `${percent}%${percent >= SATURATED_CPU ? '*' : ' '}`;

async function tempDb(): Promise<{ dbFile: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-bench-'));
  return { dbFile: path.join(dir, 'db.json'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts one server (the bot on a fresh store), drives it with `users` users, stops it. */
async function measure(name: ServerName, users: number): Promise<Measured> {
  const db = await tempDb();
  const server = await startServer(SERVERS[name], { DB_FILE: db.dbFile, ...BOT_ENV });
  try {
    return await runLoad({ url: server.url, users, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: name, waitForReady: SENDS_READY[name] }, server);
  } finally {
    await server.stop();
    await db.remove();
  }
}

const summary = (r: Measured) => ({ msgsPerSec: r.msgsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, serverCpuPercent: r.serverCpuPercent, generatorCpuPercent: r.cpuPercent });

async function concurrency() {
  log(`\nConcurrency: ${plan.durationMs / 1000} s each after ${plan.warmupMs / 1000} s warm-up; * = that process used most of a core`);
  log(`${'users'.padStart(6)}  ${'server'.padEnd(14)} ${'msg/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'server CPU'.padStart(11)} ${'generator CPU'.padStart(14)}`);
  const rows = [];
  for (const users of plan.users) {
    const results = {} as Record<ServerName, Measured>;
    for (const name of Object.keys(SERVERS) as ServerName[]) {
      const r = await measure(name, users);
      results[name] = r;
      const first = name === 'bot' ? pad(users, 6) : ' '.repeat(6);
      log(`${first}  ${LABELS[name].padEnd(14)} ${pad(r.msgsPerSec, 7)} ${pad(r.p50Ms, 8)} ${pad(r.p99Ms, 8)} ${pad(cpuCell(r.serverCpuPercent), 11)} ${pad(cpuCell(r.cpuPercent), 14)}`);
    }
    const { bot, echo, contractEcho } = results;
    const ratio = round2(bot.msgsPerSec / echo.msgsPerSec);
    const p99Ratio = round2(bot.p99Ms / echo.p99Ms);
    const contractRatio = round2(bot.msgsPerSec / contractEcho.msgsPerSec);
    log(`${' '.repeat(8)}bot ÷ echo: throughput ${ratio}, p99 ${p99Ratio}×; bot ÷ contract echo: throughput ${contractRatio}`);
    rows.push({
      users,
      bot: summary(bot),
      echo: summary(echo),
      contractEcho: summary(contractEcho),
      ratio,
      p99Ratio,
      contractRatio,
      errors: bot.errors + echo.errors + contractEcho.errors,
    });
  }
  return rows;
}

async function history() {
  log(`\nHistory: the bot with stored messages spread over ${SEED_USERS} users; ${HISTORY_USERS} of them chatting`);
  log(`${'stored'.padStart(10)} ${'seed s'.padStart(7)} ${'startup ms'.padStart(11)} ${'msg/s'.padStart(7)} ${'p99 ms'.padStart(8)} ${'RSS MB'.padStart(7)} ${'server CPU'.padStart(11)} ${'generator CPU'.padStart(14)}`);
  const rows = [];
  for (const stored of plan.history) {
    const db = await tempDb();
    const seedStart = performance.now();
    await seedStore(db.dbFile, stored);
    const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;
    const bot = await startServer(SERVERS.bot, { DB_FILE: db.dbFile, ...BOT_ENV });
    const result = await runLoad({ url: bot.url, users: HISTORY_USERS, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: 'bench-user-', waitForReady: true }, bot);
    const rssMb = bot.rssMb();
    await bot.stop();
    await db.remove();
    log(
      `${pad(stored, 10)} ${pad(seedSeconds, 7)} ${pad(bot.startupMs, 11)} ${pad(result.msgsPerSec, 7)} ${pad(result.p99Ms, 8)} ${pad(rssMb, 7)} ${pad(cpuCell(result.serverCpuPercent), 11)} ${pad(cpuCell(result.cpuPercent), 14)}`,
    );
    rows.push({ storedMessages: stored, msgsPerSec: result.msgsPerSec, p99Ms: result.p99Ms, startupMs: bot.startupMs, rssMb, errors: result.errors });
  }
  return rows;
}

function rules() {
  log('\nRules: keyword matching per message, in process (median)');
  return plan.ruleCounts.map((count) => {
    const microsPerMessage = measureRules(count, plan.ruleRounds);
    log(`${pad(count, 8)} rules ${pad(microsPerMessage, 8)} µs`);
    return { rules: count, microsPerMessage };
  });
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
const chart = out.replace(/\.json$/, '-history.svg');
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
const at100 = results.concurrency.find((r) => r.users === 100);
const references = at100 ? [{ label: 'echo server, 100 users', msgsPerSec: at100.echo.msgsPerSec }, { label: 'contract echo, 100 users', msgsPerSec: at100.contractEcho.msgsPerSec }] : [];
await writeFile(chart, historyChart(results.history, references));
const written = [out, chart];
if (!quick && values.out === undefined) {
  // The full run's figures are the ones the README quotes; a later quick run must not replace them.
  for (const [from, to] of [[out, 'full.json'], [chart, 'full-history.svg']] as const) {
    await copyFile(from, path.join(resultsDir, to));
    written.push(path.join(resultsDir, to));
  }
}
log(`\nWrote ${written.map((f) => path.relative(process.cwd(), f)).join(', ')} in ${Math.round((performance.now() - started) / 1000)} s`);
