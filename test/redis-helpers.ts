// A redis-server of the test's own, on a free port, in a temporary folder: started, paused, killed, restarted;
// and a Redis Cluster of the test's own: three redis-server masters joined by `redis-cli --cluster create`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { answersPing, freePort } from '../bench/processes.ts';
import { scanAll, type RedisClient } from '../server/store/redis/connection.ts';

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

/** Whether `command` can be run from the PATH. */
const onPath = (command: string) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, command)));

/** Why a Redis Cluster cannot be started here, or undefined when it can. */
export function clusterMissing(): string | undefined {
  const missing = ['redis-server', 'redis-cli'].filter((command) => !onPath(command));
  return missing.length ? `${missing.join(' and ')} not found: the Redis Cluster tests are skipped (apt-get install redis-server redis-tools)` : undefined;
}

/** Whether `port` is free on the loopback interface. */
const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free port whose cluster bus port (port + 10 000) is free too. */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!taken.includes(port) && (await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
}

export type RedisCluster = {
  /** The nodes, comma-separated, as REDIS_URL takes them with REDIS_CLUSTER=1. */
  url: string;
  ports: number[];
  /** Kills every node and removes their folders. */
  stop: () => Promise<void>;
};

/** Starts three redis-server masters with cluster-enabled, joins them (`redis-cli --cluster create`), and waits until the cluster is ok. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) ports.push(await freeClusterPort(ports));
  const dir = await mkdtemp(path.join(tmpdir(), 'oa-redis-cluster-'));
  const children = ports.map((port) =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }),
  );
  const stop = async () => {
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const deadline = Date.now() + 10_000;
      while (!(await answersPing(port))) {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    // Joined once every node has all 16 384 slots assigned and says the cluster is ok.
    for (const port of ports) {
      const node = new Redis({ port, host: '127.0.0.1' });
      try {
        const deadline = Date.now() + 20_000;
        while (!/cluster_state:ok/.test(await node.cluster('INFO'))) {
          if (Date.now() > deadline) throw new Error(`the cluster did not become ok on port ${port}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        node.disconnect();
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: ports.map((port) => `redis://127.0.0.1:${port}`).join(','), ports, stop };
}

/** A Redis Cluster for the enclosing suite, with an admin connection; skips the suite, saying why, where it cannot run. */
export function suiteRedisCluster(): { readonly cluster: RedisCluster; readonly admin: Cluster } {
  let cluster: RedisCluster | undefined;
  let admin: Cluster | undefined;
  before(async function () {
    const missing = clusterMissing();
    if (missing) {
      process.stderr.write(`${missing}\n`);
      return this.skip();
    }
    this.timeout(60_000);
    cluster = await startRedisCluster();
    admin = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    await new Promise((resolve) => admin!.once('ready', resolve));
  });
  after(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });
  return {
    get cluster() {
      return cluster!;
    },
    get admin() {
      return admin!;
    },
  };
}

/** Deletes every key matching `pattern`, on one Redis or on every master of a cluster (one DEL a key: they lie in different slots). */
export async function deleteMatching(admin: RedisClient, pattern: string): Promise<void> {
  await Promise.all((await scanAll(admin, pattern)).map((name) => admin.del(name)));
}
