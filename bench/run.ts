// `npm run bench -- --mass [--quick]`: a mass message to 10 000 followers on lowdb and Redis (bench/mass.ts,
// results in bench/results/mass.json).
// `npm run bench [-- --quick] [--out FILE] [--redis | --no-redis]`, or `npm run bench -- --flows [--quick]` for the
// flow runner against Botium's alone (bench/flows.ts, results in bench/results/flows.json). The rest: the bot against a bare Socket.IO echo server
// (and against a server that sends what the contract requires and does nothing else), each run several times,
// interleaved, with medians; the bot on the Redis store too when redis-server is there; the bot with growing
// stored history; keyword matching with many rules. Prints a table as it goes; writes bench/results/latest.json
// and a chart, and for a full run also full.json, the figures docs/performance.md quotes (`npx tsx bench/table.ts`).
import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { historyChart } from './chart.ts';
import { buildFlows, buildServer, serverEntry } from '../server/build.ts';
import { measureFlows } from './flows.ts';
import { measureMass } from './mass.ts';
import { hasRedisServer, REDIS_ARGS, root, runLoad, startRedis, startServer, type Measured } from './processes.ts';
import { measureRules } from './rules.ts';
import { measureScaleOut } from './scale-out.ts';
import { measurePayments } from './payments.ts';
import { SEED_USERS, seedStore } from './seed.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, payments: { type: 'boolean', default: false }, out: { type: 'string' }, redis: { type: 'boolean' }, 'no-redis': { type: 'boolean', default: false }, flows: { type: 'boolean', default: false }, mass: { type: 'boolean', default: false } },
});
const quick = values.quick;
const plan = quick
  ? { users: [1, 100], rounds: 3, history: [0, 100_000], warmupMs: 500, durationMs: 1500, ruleCounts: [10, 1000, 10_000], ruleRounds: 200 }
  : { users: [1, 100, 1000], rounds: 5, history: [0, 100_000, 1_000_000], warmupMs: 2000, durationMs: 10_000, ruleCounts: [10, 1000, 10_000], ruleRounds: 2000 };
// The bot on the Redis store (REDIS_URL) joins the concurrency scenario with --redis, or whenever redis-server is installed.
const withRedis = values['no-redis'] ? false : (values.redis ?? hasRedisServer());
const resultsDir = path.join(root, 'bench', 'results');
const out = values.out ?? path.join(resultsDir, 'latest.json');
const HISTORY_USERS = 100;
// A process using most of a core is itself the limit: a generator that is, did not measure the server.
const SATURATED_CPU = 90;

// All run as plain Node from esbuild bundles: the bot exactly as `npm start` runs it.
const bundle = (name: string) => path.join(root, 'bench', 'dist', `${name}.js`);
const ENTRIES = {
  bot: ['--enable-source-maps', serverEntry],
  botRedis: ['--enable-source-maps', serverEntry],
  contractEcho: ['--enable-source-maps', bundle('contract-echo-server')],
  echo: ['--enable-source-maps', bundle('echo-server')],
};
type ServerName = keyof typeof ENTRIES;
const SERVERS: ServerName[] = withRedis ? ['bot', 'botRedis', 'contractEcho', 'echo'] : ['bot', 'contractEcho', 'echo'];
// A load test is a flood by design: the bot's rate limits stay in the path, set far above what the load reaches.
const BOT_ENV = { RATE_LIMIT_USER: '1000000000/1s', RATE_LIMIT_ADDRESS: '1000000000/1s' };
const LABELS: Record<ServerName, string> = { bot: 'bot', botRedis: 'bot on Redis', contractEcho: 'contract echo', echo: 'echo' };
// The bare echo has no `ready` event: its users start as soon as they are connected.
const SENDS_READY: Record<ServerName, boolean> = { bot: true, botRedis: true, contractEcho: true, echo: false };

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
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function tempDb(): Promise<{ dir: string; dbFile: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-bench-'));
  return { dir, dbFile: path.join(dir, 'db.json'), remove: () => rm(dir, { recursive: true, force: true }) };
}

type Run = Measured & { serverCpuMicrosPerMessage: number; redisCpuPercent?: number };

/** Starts one server (the bot on a fresh store, and for botRedis a fresh redis-server), drives it with `users` users, stops it. */
async function measure(name: ServerName, users: number): Promise<Run> {
  const db = await tempDb();
  const redis = name === 'botRedis' ? await startRedis(db.dir) : undefined;
  const env = { DB_FILE: db.dbFile, ...BOT_ENV, ...(redis ? { REDIS_URL: redis.url } : {}) };
  const server = await startServer(ENTRIES[name], env);
  try {
    const load = { url: server.url, users, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: name, waitForReady: SENDS_READY[name] };
    const r = await (redis ? runLoad(load, server, redis) : runLoad(load, server));
    // All the CPU the server used (every thread, and Redis's when it has one) over the window, per message answered.
    const serverCpuMicrosPerMessage = r.msgsPerSec > 0 ? Math.round((r.serverCpuPercent / 100) * 1e6 / r.msgsPerSec) : 0;
    return { ...r, serverCpuMicrosPerMessage, ...(redis ? { redisCpuPercent: r.cpuPercentEach[1] } : {}) };
  } finally {
    await server.stop();
    await redis?.stop();
    await db.remove();
  }
}

/** The median of each figure over the runs of one configuration. */
function summary(runs: Run[]) {
  const m = (pick: (r: Run) => number) => round2(median(runs.map(pick)));
  return {
    msgsPerSec: Math.round(median(runs.map((r) => r.msgsPerSec))),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    serverCpuPercent: Math.round(median(runs.map((r) => r.serverCpuPercent))),
    serverCpuMicrosPerMessage: Math.round(median(runs.map((r) => r.serverCpuMicrosPerMessage))),
    ...(runs[0]?.redisCpuPercent !== undefined ? { redisCpuPercent: Math.round(median(runs.map((r) => r.redisCpuPercent!))) } : {}),
    generatorCpuPercent: Math.round(median(runs.map((r) => r.cpuPercent))),
    runs: runs.length,
  };
}
type Summary = ReturnType<typeof summary>;

const HEADER = `${'users'.padStart(6)}  ${'server'.padEnd(18)} ${'msg/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'server CPU'.padStart(11)} ${'µs/msg'.padStart(7)} ${'generator CPU'.padStart(14)}`;
const row = (first: string, label: string, r: { msgsPerSec: number; p50Ms: number; p99Ms: number; serverCpuPercent: number; serverCpuMicrosPerMessage: number }, generator: number) =>
  `${first.padStart(6)}  ${label.padEnd(18)} ${pad(r.msgsPerSec, 7)} ${pad(r.p50Ms, 8)} ${pad(r.p99Ms, 8)} ${pad(cpuCell(r.serverCpuPercent), 11)} ${pad(r.serverCpuMicrosPerMessage, 7)} ${pad(cpuCell(generator), 14)}`;

/**
 * Each configuration `plan.rounds` times, interleaved (bot, contract echo, echo, bot, …) so that a noisy
 * neighbour slows them all alike; the table and the JSON give each figure's median.
 */
async function concurrency() {
  log(`\nConcurrency: ${SERVERS.map((n) => LABELS[n]).join(', ')}, interleaved, ${plan.rounds} runs each of ${plan.durationMs / 1000} s after ${plan.warmupMs / 1000} s warm-up`);
  log(`server CPU: the whole process, all threads (plus redis-server for the bot on Redis); µs/msg: that CPU per message; * = most of a core`);
  log(HEADER);
  const rows = [];
  for (const users of plan.users) {
    const runs = Object.fromEntries(SERVERS.map((n) => [n, [] as Run[]])) as Record<ServerName, Run[]>;
    for (let round = 1; round <= plan.rounds; round++) {
      for (const name of SERVERS) {
        const r = await measure(name, users);
        runs[name].push(r);
        log(row(name === SERVERS[0] ? String(users) : '', `${LABELS[name]} #${round}`, r, r.cpuPercent));
      }
    }
    const medians = Object.fromEntries(SERVERS.map((n) => [n, summary(runs[n])])) as Record<ServerName, Summary>;
    for (const name of SERVERS) log(row('', `${LABELS[name]} med.`, medians[name], medians[name].generatorCpuPercent));
    const { bot, echo, contractEcho } = medians;
    const ratios = {
      ratio: round2(bot.msgsPerSec / echo.msgsPerSec),
      p99Ratio: round2(bot.p99Ms / echo.p99Ms),
      cpuRatio: round2(bot.serverCpuMicrosPerMessage / echo.serverCpuMicrosPerMessage),
      contractRatio: round2(bot.msgsPerSec / contractEcho.msgsPerSec),
      ...(medians.botRedis
        ? { redisRatio: round2(medians.botRedis.msgsPerSec / echo.msgsPerSec), redisCpuRatio: round2(medians.botRedis.serverCpuMicrosPerMessage / echo.serverCpuMicrosPerMessage) }
        : {}),
    };
    log(
      `${' '.repeat(8)}bot ÷ echo (medians): throughput ${ratios.ratio}, p99 ${ratios.p99Ratio}×, CPU per message ${ratios.cpuRatio}×; bot ÷ contract echo: throughput ${ratios.contractRatio}` +
        (medians.botRedis ? `; bot on Redis ÷ echo: throughput ${ratios.redisRatio}, CPU per message ${ratios.redisCpuRatio}×` : ''),
    );
    const errors = SERVERS.reduce((n, name) => n + runs[name].reduce((e, r) => e + r.errors, 0), 0);
    rows.push({ users, ...medians, ...ratios, errors });
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
    const bot = await startServer(ENTRIES.bot, { DB_FILE: db.dbFile, ...BOT_ENV });
    const result = await runLoad({ url: bot.url, users: HISTORY_USERS, warmupMs: plan.warmupMs, durationMs: plan.durationMs, userPrefix: 'bench-user-', waitForReady: true }, bot);
    const rssMb = bot.rssMb();
    await bot.stop();
    await db.remove();
    log(
      `${pad(stored, 10)} ${pad(seedSeconds, 7)} ${pad(bot.startupMs, 11)} ${pad(result.msgsPerSec, 7)} ${pad(result.p99Ms, 8)} ${pad(rssMb, 7)} ${pad(cpuCell(result.serverCpuPercent), 11)} ${pad(cpuCell(result.cpuPercent), 14)}`,
    );
    const empty: number = rows[0]?.msgsPerSec ?? result.msgsPerSec;
    const serverCpuMicrosPerMessage = result.msgsPerSec > 0 ? Math.round((result.serverCpuPercent / 100) * 1e6 / result.msgsPerSec) : 0;
    rows.push({ storedMessages: stored, msgsPerSec: result.msgsPerSec, vsEmpty: round2(result.msgsPerSec / empty), p99Ms: result.p99Ms, serverCpuMicrosPerMessage, startupMs: bot.startupMs, rssMb, errors: result.errors });
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

/** The same load on one process on lowdb, one on Redis and two on Redis (bench/scale-out.ts). */
async function scaleOut() {
  log(`\nScale-out: ${quick ? 100 : 200} users split over the processes; CPU as a share of one core`);
  log(`${'setup'.padEnd(20)} ${'msg/s'.padStart(7)} ${'p99 ms'.padStart(8)} ${'server CPU'.padStart(14)} ${'redis CPU'.padStart(10)} ${'errors'.padStart(7)}`);
  return measureScaleOut({ quick, log });
}

/** WeChat Pay: orders placed and paid per second, and a notification's latency (bench/payments.ts). */
async function payments() {
  log(`\nWeChat Pay: Native orders placed (wechatpay-axios-plugin) and paid by 20 buyers at once; notification latency from the payment's request (Pay tapped)`);
  log(`${'store'.padEnd(8)} ${'payments/s'.padStart(10)} ${'notify p50 ms'.padStart(14)} ${'notify p99 ms'.padStart(14)} ${'errors'.padStart(7)}`);
  return measurePayments({ quick, withRedis, env: BOT_ENV, log });
}

const started = performance.now();
if (values.payments) {
  // `npm run bench -- --payments [--quick]`: this scenario alone, into bench/results/payments.json.
  await buildServer();
  const paymentsOut = values.out ?? path.join(resultsDir, 'payments.json');
  const measured = await payments();
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  await mkdir(path.dirname(paymentsOut), { recursive: true });
  await writeFile(paymentsOut, `${JSON.stringify({ mode: quick ? 'quick' : 'full', machine, date: new Date().toISOString(), payments: measured }, null, 2)}\n`);
  log(`\nWrote ${path.relative(process.cwd(), paymentsOut)}`);
  process.exit(0);
}
if (values.flows) {
  await Promise.all([buildServer(), buildFlows()]);
  log(`Flows benchmark (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  const flowsOut = values.out ?? path.join(resultsDir, 'flows.json');
  const measured = await measureFlows({ quick, log });
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  await mkdir(path.dirname(flowsOut), { recursive: true });
  await writeFile(flowsOut, `${JSON.stringify({ mode: quick ? 'quick' : 'full', machine, date: new Date().toISOString(), ...measured }, null, 2)}\n`);
  log(`\nWrote ${path.relative(process.cwd(), flowsOut)} in ${Math.round((performance.now() - started) / 1000)} s`);
  process.exit(0);
}
if (values.mass) {
  log(`Mass-message benchmark (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  const massOut = values.out ?? path.join(resultsDir, 'mass.json');
  const measured = await measureMass({ quick, log });
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  await mkdir(path.dirname(massOut), { recursive: true });
  await writeFile(massOut, `${JSON.stringify({ mode: quick ? 'quick' : 'full', machine, date: new Date().toISOString(), ...measured }, null, 2)}\n`);
  log(`\nWrote ${path.relative(process.cwd(), massOut)} in ${Math.round((performance.now() - started) / 1000)} s`);
  process.exit(0);
}
await buildServers();
log(`Benchmark (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
const results = {
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  rounds: plan.rounds,
  redis: withRedis ? { args: REDIS_ARGS.join(' ') } : null,
  date: new Date().toISOString(),
  concurrency: await concurrency(),
  history: await history(),
  rules: rules(),
  scaleOut: withRedis ? await scaleOut() : null,
  payments: await payments(),
};
await mkdir(path.dirname(out), { recursive: true });
const chart = out.replace(/\.json$/, '-history.svg');
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
const at100 = results.concurrency.find((r) => r.users === 100);
const references = at100 ? [{ label: 'echo server, 100 users', msgsPerSec: at100.echo.msgsPerSec }, { label: 'contract echo, 100 users', msgsPerSec: at100.contractEcho.msgsPerSec }] : [];
await writeFile(chart, historyChart(results.history, references));
const written = [out, chart];
if (!quick && values.out === undefined) {
  // The full run's figures are the ones docs/performance.md quotes; a later quick run must not replace them.
  for (const [from, to] of [[out, 'full.json'], [chart, 'full-history.svg']] as const) {
    await copyFile(from, path.join(resultsDir, to));
    written.push(path.join(resultsDir, to));
  }
}
log(`\nWrote ${written.map((f) => path.relative(process.cwd(), f)).join(', ')} in ${Math.round((performance.now() - started) / 1000)} s`);
