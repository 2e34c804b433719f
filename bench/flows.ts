// `npm run bench -- --flows [--quick]`: our flow runner (the built CLI, with --url) against Botium's own runner
// (botium-core, simplerest connector, bench/botium-flows.cjs) on the same generated suite, against one server
// with its rate limits off; each run as its own process, start-up included, interleaved, several times.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { flowsEntry, serverEntry } from '../server/build.ts';
import { writeFlowSuite } from './flow-suite.ts';
import { root, startServer } from './processes.ts';

const run = promisify(execFile);
const RUNNERS = {
  ours: (url: string, dir: string) => [flowsEntry, '--url', url, '--reporter', 'json', dir],
  botium: (url: string, dir: string) => [path.join(root, 'bench', 'botium-flows.cjs'), url, dir],
};
type RunnerName = keyof typeof RUNNERS;

/** Plays the suite once with one runner; throws when a flow failed, since then the times compare nothing. */
async function timeRun(name: RunnerName, url: string, dir: string, flows: number): Promise<number> {
  const started = performance.now();
  const { stdout } = await run(process.execPath, RUNNERS[name](url, dir), { cwd: root, maxBuffer: 64 * 2 ** 20 });
  const ms = Math.round(performance.now() - started);
  const passed = name === 'ours' ? JSON.parse(stdout).stats.passed : JSON.parse(stdout.trim().split('\n').at(-1)!).passed;
  if (passed !== flows) throw new Error(`${name}: ${passed} of ${flows} flows passed`);
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function measureFlows({ quick, log }: { quick: boolean; log: (line: string) => void }) {
  const plan = quick ? { flows: 200, rounds: 3 } : { flows: 1000, rounds: 3 };
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-bench-flows-'));
  const server = await startServer(['--enable-source-maps', serverEntry], { DB_FILE: path.join(dir, 'db.json'), RATE_LIMIT_USER: 'off', RATE_LIMIT_ADDRESS: 'off' });
  try {
    const suite = path.join(dir, 'suite');
    await writeFlowSuite(suite, plan.flows);
    log(`\nFlows: ${plan.flows} convo files of 3 messages, our runner (--url) and Botium's, interleaved, ${plan.rounds} runs each; wall time of the whole command`);
    const times: Record<RunnerName, number[]> = { ours: [], botium: [] };
    for (let round = 1; round <= plan.rounds; round++) {
      for (const name of Object.keys(RUNNERS) as RunnerName[]) {
        const ms = await timeRun(name, server.url, suite, plan.flows);
        times[name].push(ms);
        log(`${`${name} #${round}`.padEnd(12)} ${String(ms).padStart(8)} ms`);
      }
    }
    const ours = median(times.ours);
    const botium = median(times.botium);
    const ratio = Math.round((botium / ours) * 100) / 100;
    log(`${'ours med.'.padEnd(12)} ${String(ours).padStart(8)} ms\n${'botium med.'.padEnd(12)} ${String(botium).padStart(8)} ms\nBotium ÷ ours: ${ratio}×`);
    return { flows: plan.flows, messagesPerFlow: 3, rounds: plan.rounds, oursMs: ours, botiumMs: botium, ratio, runs: times };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
