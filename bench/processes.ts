// Starting and measuring the processes a benchmark drives: servers and load generators.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
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

/** CPU time process `pid` has used so far, user and system, all its threads (or only thread `tid`). */
export function cpuSecondsOf(pid: number, tid?: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Stops a child process and waits until it is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

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
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    stop: () => stopChild(child),
  };
}

/** Whether `redis-server` can be started from the PATH. */
export function hasRedisServer(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, 'redis-server')));
}

export type RunningRedis = { url: string; cpuSeconds: () => number; stop: () => Promise<void> };

// The Redis store's durability, as a deployment would set it: no snapshots, an append-only file synced once a second.
export const REDIS_ARGS = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'];

/** Starts a private `redis-server` on a free loopback port, its files in `dir`, and waits until it answers PING. */
export async function startRedis(dir: string): Promise<RunningRedis> {
  // Another process may take the free port first (other benchmarks and tests run here): our redis-server then
  // exits, and a PING on that port is answered by someone else's. Try another port then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOn(await freePort(), dir);
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function startRedisOn(port: number, dir: string): Promise<RunningRedis> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...REDIS_ARGS], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const started = performance.now();
  while (!(await answersPing(port)) || child.exitCode !== null) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    if (performance.now() - started > 10_000) throw new Error(`redis-server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: `redis://127.0.0.1:${port}`, cpuSeconds: () => cpuSecondsOf(child.pid!), stop: () => stopChild(child) };
}

/** Whether a redis-server answers PING on `port`. */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

export type Measured = LoadResult & {
  /** The server's CPU use over the measured window, as a share of one core (100 = one core busy): every process in `servers`. */
  serverCpuPercent: number;
  /** Each process's share of that, in the order given. */
  cpuPercentEach: number[];
};

type Measurable = { cpuSeconds: () => number };

/**
 * Runs one load generator process against `servers[0]` to the end, measuring the CPU of every process
 * in `servers` (the server and whatever it relies on, e.g. Redis) over the same window.
 */
export function runLoad(options: LoadOptions, ...servers: Measurable[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(options)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let window: { cpu: number[]; at: number } | undefined;
    let cpuPercentEach: number[] | undefined;
    const cpuNow = () => servers.map((s) => s.cpuSeconds());
    // The servers' CPU is read when the generator says the warm-up is over and again when its result arrives.
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!window && stdout.includes('measuring\n')) window = { cpu: cpuNow(), at: performance.now() };
      if (window && cpuPercentEach === undefined && stdout.endsWith('}\n')) {
        const seconds = (performance.now() - window.at) / 1000;
        const start = window.cpu;
        cpuPercentEach = cpuNow().map((cpu, i) => ((cpu - start[i]!) / seconds) * 100);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0 || cpuPercentEach === undefined) return reject(new Error(`load generator failed (${code}): ${stderr}`));
      const serverCpuPercent = Math.round(cpuPercentEach.reduce((a, b) => a + b, 0));
      resolve({ ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult), serverCpuPercent, cpuPercentEach: cpuPercentEach.map(Math.round) });
    });
  });
}
