// `npx tsx bench/profile.ts [--users 100] [--seconds 8] [--runs 3] [--redis]`: where the bot's CPU goes, per message;
// with --redis, the bot on the Redis store (a redis-server of its own per run, its CPU a row of the table).
// Runs the built bot (`npm run build` first) under `node --cpu-prof` with the benchmark's load, reads the
// CPU the whole process and its main thread used over the measured window (/proc), and splits the main
// thread's share by category from the profile (source-mapped to our files); the rest is other threads
// (the fs pool, GC helpers, the compiler). Prints the median of each figure over the runs, in µs per message.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serverEntry } from '../server/build.ts';
import { cpuSecondsOf, runLoad, startRedis, startServer } from './processes.ts';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const { values } = parseArgs({
  options: { users: { type: 'string', default: '100' }, seconds: { type: 'string', default: '8' }, runs: { type: 'string', default: '3' }, redis: { type: 'boolean', default: false } },
});
const sourceMap = new SourceMap(JSON.parse(await readFile(`${serverEntry}.map`, 'utf8')));

/** Where a frame's code lives: our source file (through the bundle's source map), a package, or Node itself. */
function fileOf({ url, lineNumber, columnNumber }: Node['callFrame']): string {
  if (url.endsWith('/dist/main.js')) {
    const entry = sourceMap.findEntry(lineNumber, columnNumber);
    return 'originalSource' in entry ? entry.originalSource.replace(/^.*?\.\.\//, '') : 'main.js';
  }
  return url.replace(/^.*node_modules\//, '');
}

// First match wins, tested against every frame from the sample up to the root (for natives: who called them).
const CATEGORIES: Array<[string, (files: string[], names: string[]) => boolean]> = [
  ['checkpoint (file calls, JSON)', (f, n) => f.some((x, i) => x === 'store/durable-file.ts' || ((x === 'store/user-log.ts' || x === 'store/unwritten-logs.ts') && /^(flush|write)$/.test(n[i]!)))],
  ['journal', (f) => f.some((x) => x.includes('store/journal'))],
  ['engine', (f) => f.some((x) => x.startsWith('bot/'))],
  ['Redis client (ioredis)', (f) => f.some((x) => /^(ioredis|redis-parser|@ioredis)\//.test(x))],
  ['Socket.IO Redis adapter', (f) => f.some((x) => /^(@socket\.io\/redis-adapter|notepack\.io)\//.test(x))],
  ['in-memory store', (f) => f.some((x) => x.startsWith('store/'))],
  ['socket writes', (_f, n) => n.slice(0, 6).some((x) => /^(writev|writeGeneric|writevGeneric|writeBuffer|writeUtf8String|handleWriteReq)$/.test(x))],
  ['packet encoding', (f) => f.some((x) => x.startsWith('socket.io-parser/'))],
  ['socket.io / engine.io / ws', (f) => f.some((x) => /^(socket\.io|engine\.io|ws|socket\.io-adapter)\//.test(x))],
  ['chat service, transport, limits', (f) => f.some((x) => /^(core\/|transport\/)/.test(x))],
];

/** Main-thread time by category, as shares of the busy (not idle) time. */
function shares(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map<string, number>();
  let busy = 0;
  for (const [id, t] of time) {
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(idle)') continue;
    busy += t;
    const frames: Node[] = [];
    for (let n: Node | undefined = byId.get(id); n; n = byId.get(parent.get(n.id) ?? -1)) frames.push(n);
    const files = frames.map((n) => fileOf(n.callFrame));
    const names = frames.map((n) => n.callFrame.functionName);
    const category = leaf === '(garbage collector)' ? 'GC' : (CATEGORIES.find(([, test]) => test(files, names))?.[0] ?? 'other (main thread)');
    totals.set(category, (totals.get(category) ?? 0) + t);
  }
  return new Map([...totals].map(([c, t]) => [c, t / busy]));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
const rows: Array<Map<string, number>> = [];
for (let run = 0; run < Number(values.runs); run++) {
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-profile-'));
  const redis = values.redis ? await startRedis(dir) : undefined;
  const server = await startServer(['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200', serverEntry], {
    DB_FILE: path.join(dir, 'db.json'),
    ...(redis ? { REDIS_URL: redis.url } : {}),
    RATE_LIMIT_USER: '1000000000/1s',
    RATE_LIMIT_ADDRESS: '1000000000/1s',
  });
  const pid = server.child.pid!;
  const mainThread = { cpuSeconds: () => cpuSecondsOf(pid, pid) };
  const load = { url: server.url, users: Number(values.users), warmupMs: 1000, durationMs: Number(values.seconds) * 1000, userPrefix: 'p', waitForReady: true };
  const r = await (redis ? runLoad(load, server, mainThread, redis) : runLoad(load, server, mainThread));
  await server.stop(); // writes the profile
  await redis?.stop();
  const perMessage = (percent: number) => ((percent / 100) * 1e6) / r.msgsPerSec;
  const [whole, main, redisServer = 0] = r.cpuPercentEach.map(perMessage) as [number, number, number?];
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'))!;
  const row = new Map([...shares(JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Profile)].map(([c, s]) => [c, s * main]));
  row.set('other threads (fs pool, GC, compiler)', whole - main);
  if (redis) row.set('redis-server', redisServer);
  row.set('total', whole + redisServer);
  rows.push(row);
  process.stdout.write(`run ${run + 1}: ${r.msgsPerSec} msg/s, ${Math.round(whole + redisServer)} µs of CPU per message (main thread ${Math.round(main)}${redis ? `, redis-server ${Math.round(redisServer)}` : ''})\n`);
  await rm(dir, { recursive: true, force: true });
}
const categories = [...new Set(rows.flatMap((r) => [...r.keys()]))].filter((c) => c !== 'total');
const medians = categories.map((c) => [c, median(rows.map((r) => r.get(c) ?? 0))] as const).sort((a, b) => b[1] - a[1]);
process.stdout.write(`\n| µs of server CPU per message (median of ${rows.length}, ${values.users} users) | |\n|---|---:|\n`);
for (const [c, us] of medians) process.stdout.write(`| ${c} | ${us.toFixed(0)} |\n`);
process.stdout.write(`| **total** | **${median(rows.map((r) => r.get('total')!)).toFixed(0)}** |\n`);
