// `npx tsx bench/table.ts [FILE] [--write]`: the tables of docs/performance.md, in Markdown, from a benchmark's
// JSON (bench/results/full.json by default), so that the figures quoted are the figures measured. With
// --write, replaces the block between the `bench:tables` markers in docs/performance.md instead of printing.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './processes.ts';

type Figures = { msgsPerSec: number; p50Ms: number; p99Ms: number; serverCpuPercent: number; serverCpuMicrosPerMessage: number; redisCpuPercent?: number };
type Row = { users: number; bot: Figures; botRedis?: Figures; contractEcho: Figures; echo: Figures; ratio: number; p99Ratio: number; cpuRatio: number };
type Results = {
  mode: string;
  date: string;
  rounds: number;
  machine: { cpus: number; model?: string; memoryGiB: number; node: string };
  concurrency: Row[];
  history: Array<{ storedMessages: number; msgsPerSec: number; vsEmpty: number; p99Ms: number; startupMs: number; rssMb: number }>;
  rules: Array<{ rules: number; microsPerMessage: number }>;
};

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? path.join(root, 'bench', 'results', 'full.json');
const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
const n = (value: number) => value.toLocaleString('en-US').replace(/,/g, ' ');
const lines: string[] = [];
const out = (line = '') => lines.push(line);

out(`A ${r.mode} run on ${r.machine.cpus} × ${r.machine.model ?? 'unknown CPU'}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, on ${r.date.slice(0, 10)}; medians of ${r.rounds} interleaved runs (\`${path.relative(root, file)}\`):`);
out();
out('| users | server | msg/s | p50 / p99 ms | server CPU | CPU µs / msg |');
out('|---:|---|---:|---:|---:|---:|');
for (const row of r.concurrency) {
  const servers: Array<[string, Figures | undefined]> = [['bot', row.bot], ['bot on Redis ¹', row.botRedis], ['contract echo', row.contractEcho], ['echo', row.echo]];
  for (const [label, f] of servers) {
    if (!f) continue;
    const cpu = f.redisCpuPercent === undefined ? `${f.serverCpuPercent} %` : `${f.serverCpuPercent} % (Redis ${f.redisCpuPercent} %)`;
    out(`| ${label === 'bot' ? n(row.users) : ''} | ${label} | ${n(f.msgsPerSec)} | ${f.p50Ms} / ${f.p99Ms} | ${cpu} | ${f.serverCpuMicrosPerMessage} |`);
  }
}
if (r.concurrency.some((row) => row.botRedis)) {
  out();
  out('¹ the bot with `REDIS_URL` set to a private `redis-server` (its CPU is included): see *Scale-out on Redis* for why it costs more per message.');
}
out();
out('| users | bot ÷ echo: CPU per message | throughput | p99 |');
out('|---:|---:|---:|---:|');
for (const row of r.concurrency) out(`| ${n(row.users)} | ${row.cpuRatio} × | ${row.ratio} | ${row.p99Ratio} × |`);
out();
out('| stored messages | msg/s (100 users) | ÷ empty | p99 ms | start-up | RSS |');
out('|---:|---:|---:|---:|---:|---:|');
for (const h of r.history) out(`| ${n(h.storedMessages)} | ${n(h.msgsPerSec)} | ${h.vsEmpty} | ${Math.round(h.p99Ms * 10) / 10} | ${h.startupMs} ms | ${h.rssMb} MB |`);
out();
out('| rules | matching, median per message |');
out('|---:|---:|');
for (const rule of r.rules) out(`| ${n(rule.rules)} | ${rule.microsPerMessage} µs |`);
if (args.includes('--write')) {
  const guide = path.join(root, 'docs', 'performance.md');
  const [begin, end] = ['<!-- bench:tables begin -->', '<!-- bench:tables end -->'];
  const text = readFileSync(guide, 'utf8');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/performance.md has no ${begin} … ${end} block`);
  writeFileSync(guide, `${text.slice(0, from + begin.length)}\n${lines.join('\n')}\n${text.slice(to)}`);
} else {
  process.stdout.write(`${lines.join('\n')}\n`);
}
