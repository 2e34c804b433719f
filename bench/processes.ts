// Starting and measuring the processes a benchmark drives: servers and load generators.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadOptions, LoadResult } from './load.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A port nobody is using right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export type Running = {
  child: ChildProcess;
  url: string;
  startupMs: number;
  stop: () => Promise<void>;
  rssMb: () => number;
  /** CPU time the process has used so far, user and system, all threads. */
  cpuSeconds: () => number;
};

// Linux counts CPU time in /proc in ticks of 1/100 s.
const TICKS_PER_SECOND = 100;

/** Starts a server (Node arguments: an entry point and its flags) as its own process and waits until it answers /healthz. */
export async function startServer(nodeArgs: string[], env: Record<string, string>): Promise<Running> {
  const entry = nodeArgs.at(-1)!;
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 60_000) throw new Error(`${entry} did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const startupMs = Math.round(performance.now() - started);
  return {
    child,
    url,
    startupMs,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    },
    cpuSeconds: () => {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export type Measured = LoadResult & {
  /** The server's CPU use over the measured window, as a share of one core (100 = one core busy). */
  serverCpuPercent: number;
};

/** Runs one load generator process against `server` to the end, measuring the server's CPU over the same window. */
export function runLoad(options: LoadOptions, server: Running): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(options)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let window: { cpu: number; at: number } | undefined;
    let serverCpuPercent: number | undefined;
    // The server's CPU is read when the generator says the warm-up is over and again when its result arrives.
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!window && stdout.includes('measuring\n')) window = { cpu: server.cpuSeconds(), at: performance.now() };
      if (window && serverCpuPercent === undefined && stdout.endsWith('}\n')) {
        const seconds = (performance.now() - window.at) / 1000;
        serverCpuPercent = Math.round(((server.cpuSeconds() - window.cpu) / seconds) * 100);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0 || serverCpuPercent === undefined) return reject(new Error(`load generator failed (${code}): ${stderr}`));
      resolve({ ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult), serverCpuPercent });
    });
  });
}
