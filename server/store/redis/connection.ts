// Redis connections with bounded waits: a command either gets its answer or fails within COMMAND_TIMEOUT_MS,
// so a message is acknowledged or refused (`storage_unavailable`), never left hanging while Redis is away.
// One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER=1, REDIS_URL naming one or more of its nodes):
// the rest of the code sees one client either way, since every script touches keys of one slot only.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** How long a command may wait for Redis's answer: a Redis that is stopped or swamped fails the message instead. */
export const COMMAND_TIMEOUT_MS = 2000;

/** Where the shared state lives: one Redis, or the seed nodes of a Redis Cluster (comma-separated URLs). */
export type RedisAddress = { url: string; cluster?: boolean };

/** A connection to one Redis or to a whole cluster; both take the same commands. */
export type RedisClient = Redis | Cluster;

/** Reconnects for ever, at most a second apart: service resumes by itself once Redis is back. */
const reconnectDelay = (attempt: number) => Math.min(100 * attempt, 1000);

/** The URL (each of them, for a cluster) without its password, for logs. */
export function describeRedis(url: string): string {
  return url
    .split(',')
    .map((one) => {
      const parsed = new URL(one.trim());
      if (parsed.password) parsed.password = '***';
      return parsed.toString();
    })
    .join(',');
}

/** What a cluster's nodes are connected with: the credentials and TLS of the first seed URL. */
function nodeOptions(url: string): { nodes: Array<{ host: string; port: number }>; options: RedisOptions } {
  const urls = url.split(',').map((one) => new URL(one.trim()));
  const first = urls[0]!;
  const options: RedisOptions = {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { nodes: urls.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })), options };
}

function client({ url, cluster }: RedisAddress, options: RedisOptions, { enableOfflineQueue, shardedSubscribers = false }: { enableOfflineQueue: boolean; shardedSubscribers?: boolean }): RedisClient {
  if (!cluster) return new Redis(url, { ...options, enableOfflineQueue });
  const seeds = nodeOptions(url);
  // The cluster connects lazily; each node's connection gets the rest. No auto-pipelining on a cluster: ioredis
  // (6.0) groups a script call by its first argument, the number of keys, not by its first key's slot.
  const { lazyConnect: _lazy, enableAutoPipelining: _pipelining, ...perNode } = options;
  return new Cluster(seeds.nodes, {
    lazyConnect: true,
    enableOfflineQueue,
    clusterRetryStrategy: reconnectDelay,
    shardedSubscribers,
    redisOptions: { ...seeds.options, ...perNode },
  });
}

/**
 * A client for commands whose outcome someone waits for (commits, reads, locks, rate limits): refused at once
 * while disconnected, timed out when Redis does not answer, and never re-sent on its own after a failure was
 * reported (a commit reported as failed must not be applied later by a silent resend).
 */
export function commandClient(address: RedisAddress, name: string, commandTimeout = COMMAND_TIMEOUT_MS): RedisClient {
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: `oa-sim:${name}`,
    commandTimeout,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // No auto-pipelining: a pipeline per event-loop turn cost more than the writes it saved (108 against 136 µs
    // of server CPU a message at 100 users, docs/performance.md), and the rate limits batch their own charges.
    enableAutoPipelining: false,
    retryStrategy: reconnectDelay,
  };
  return client(address, options, { enableOfflineQueue: false });
}

/**
 * A client for pub/sub (rule change notices, Socket.IO's adapter): publishes wait for the connection instead of
 * failing, because Socket.IO's adapter does not catch a failed publish; subscriptions are renewed on reconnect.
 * On a cluster, sharded subscriptions (SSUBSCRIBE) go to the node that owns each channel's slot.
 */
export function messageClient(address: RedisAddress, name: string, { autoPipelining = false } = {}): RedisClient {
  const options: RedisOptions = { lazyConnect: true, connectionName: `oa-sim:${name}`, maxRetriesPerRequest: null, retryStrategy: reconnectDelay, enableAutoPipelining: autoPipelining };
  return client(address, options, { enableOfflineQueue: true, shardedSubscribers: true });
}

/** Connects, or throws saying where Redis was expected. */
export async function connect(client: RedisClient, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${describeRedis(url)} (${(err as Error).message})`);
  }
}

/** Says QUIT (pending replies arrive first), or drops the connection when Redis does not answer. */
export async function closeClient(client: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, COMMAND_TIMEOUT_MS)))]);
  clearTimeout(timer);
  client.disconnect();
}

const nameOf = (client: RedisClient) => (client instanceof Cluster ? client.options.redisOptions?.connectionName : client.options.connectionName);

/** Reports the first error of an outage and the reconnection, not every retry. */
export function reportOutages(client: RedisClient, warn: (message: string, err?: unknown) => void): void {
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    warn(`Redis connection (${nameOf(client)}) failed; reconnecting`, err);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    warn(`Redis connection (${nameOf(client)}) is back`);
  });
}

/** Every key matching `pattern`, by SCAN (never KEYS); on a cluster, on each of its masters. */
export async function scanAll(client: RedisClient, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
    let cursor = '0';
    do {
      const [next, names] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      for (const name of names) found.add(name);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found];
}

/** The values of `names` in order (null where missing): one MGET on one Redis, one GET each on a cluster, where they live in different slots. */
export async function getAll(client: RedisClient, names: string[]): Promise<Array<string | null>> {
  if (names.length === 0) return [];
  return client instanceof Cluster ? Promise.all(names.map((name) => client.get(name))) : client.mget(...names);
}
