// A redis-server of the test's own, on a free port, in a temporary folder: started, paused, killed, restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { answersPing, freePort } from '../bench/processes.ts';

export type RedisServer = {
  port: number;
  /** The running redis-server's process id (for CPU measurements). */
  pid: () => number;
  url: string;
  /** SIGSTOP: the connections stay open and nothing answers. */
  pause: () => void;
  /** SIGCONT. */
  resume: () => void;
  /** SIGKILL, and waits until it is gone. */
  kill: () => Promise<void>;
  /** Starts it again on the same port and folder (the AOF when `appendonly`). */
  restart: () => Promise<void>;
  /** Kills it and removes its folder. */
  stop: () => Promise<void>;
};

/** Starts `redis-server` on a free port, without snapshots; `appendonly` keeps an AOF fsynced on every write. */
export async function startRedis({ appendonly = false } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', appendonly ? 'yes' : 'no', '--appendfsync', 'always'];
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    }
  };
  await launch();
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    pid: () => child.pid!,
    url: `redis://127.0.0.1:${port}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server for the enclosing suite, with an admin connection to look inside it; started before it, stopped after. */
export function suiteRedis(): { readonly server: RedisServer; readonly admin: Redis } {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  before(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  after(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    get admin() {
      return admin!;
    },
  };
}
