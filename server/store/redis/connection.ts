// Redis connections with bounded waits: a command either gets its answer or fails within COMMAND_TIMEOUT_MS,
// so a message is acknowledged or refused (`storage_unavailable`), never left hanging while Redis is away.
import { Redis } from 'ioredis';

/** How long a command may wait for Redis's answer: a Redis that is stopped or swamped fails the message instead. */
export const COMMAND_TIMEOUT_MS = 2000;

/** Reconnects for ever, at most a second apart: service resumes by itself once Redis is back. */
const reconnectDelay = (attempt: number) => Math.min(100 * attempt, 1000);

/** The URL without its password, for logs. */
export function describeRedis(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * A client for commands whose outcome someone waits for (commits, reads, locks, rate limits): refused at once
 * while disconnected, timed out when Redis does not answer, and never re-sent on its own after a failure was
 * reported (a commit reported as failed must not be applied later by a silent resend).
 */
export function commandClient(url: string, name: string, commandTimeout = COMMAND_TIMEOUT_MS): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectionName: `oa-sim:${name}`,
    enableOfflineQueue: false,
    commandTimeout,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
  });
}

/**
 * A client for pub/sub (rule change notices, Socket.IO's adapter): publishes wait for the connection instead of
 * failing, because Socket.IO's adapter does not catch a failed publish; subscriptions are renewed on reconnect.
 */
export function messageClient(url: string, name: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectionName: `oa-sim:${name}`,
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
  });
}

/** Connects, or throws saying where Redis was expected. */
export async function connect(client: Redis, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${describeRedis(url)} (${(err as Error).message})`);
  }
}

/** Says QUIT (pending replies arrive first), or drops the connection when Redis does not answer. */
export async function closeClient(client: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, COMMAND_TIMEOUT_MS)))]);
  clearTimeout(timer);
  client.disconnect();
}

/** Reports the first error of an outage and the reconnection, not every retry. */
export function reportOutages(client: Redis, warn: (message: string, err?: unknown) => void): void {
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    warn(`Redis connection (${client.options.connectionName}) failed; reconnecting`, err);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    warn(`Redis connection (${client.options.connectionName}) is back`);
  });
}
