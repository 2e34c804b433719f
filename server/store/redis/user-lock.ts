// A user's turn across processes: a lock in Redis with an expiry, renewed while the turn runs, whose token
// fences the commit (the commit script refuses a token that no longer holds the lock).
//
// Why a lock and not versioned sessions with retry: a turn may call the server under test (the target
// responder POSTs to a remote server, which is not idempotent), and a retry after a version clash would
// send that POST twice. With the lock a turn runs once; the expiry frees a user whose process died, and the
// fencing check makes sure a process that lost its lock (a long pause, a partition) cannot commit over the
// turn of the process that took over: its turn fails with storage_unavailable instead.
import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connection.ts';
import { extendLock, releaseLock, takeLock } from './scripts.ts';

export type LockSettings = {
  /** How long a lock outlives a process that died holding it; renewed every third of it while the turn runs. */
  ttlMs: number;
  /** How long a turn waits for another process's turn of the same user before giving up. */
  waitMs: number;
};

export const DEFAULT_LOCK: LockSettings = { ttlMs: 5000, waitMs: 30_000 };

/** Thrown when the lock could not be had in time; the caller turns it into storage_unavailable. */
export class LockTimeout extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `turn` holding `lockKey`, passing it the fencing token. `onTaken` gets the rules version read with
 * the lock (sent with it, not inside its script: on a cluster the version lives in another slot), so the
 * turn can first catch up with rules another process changed.
 */
export async function withLock<T>(
  client: RedisClient,
  keys: { lock: string; rulesVersion: string },
  settings: LockSettings,
  onTaken: (rulesVersion: number) => Promise<void>,
  turn: (token: string) => Promise<T>,
): Promise<T> {
  const token = randomBytes(12).toString('base64url');
  const deadline = Date.now() + settings.waitMs;
  let rulesVersion: number;
  for (let attempt = 0; ; attempt++) {
    const [taken, version] = await Promise.all([takeLock(client, [keys.lock], [token, settings.ttlMs]), client.get(keys.rulesVersion)]).catch((err: unknown) => {
      // A take that timed out may still run once Redis answers again, and one that ran is no use when the
      // version read failed; the release, sent after it on the same connection, runs after it, so the user
      // is not locked out until the expiry.
      void releaseLock(client, [keys.lock], [token]).catch(() => undefined);
      throw err;
    });
    if (taken === 1) {
      rulesVersion = Number(version ?? 0);
      break;
    }
    if (Date.now() > deadline) throw new LockTimeout(`another process has held this user's turn for over ${settings.waitMs} ms`);
    // Short, jittered waits: turns take milliseconds, and two waiters should not retry in step.
    await sleep(Math.min(50, 2 + 2 ** attempt) * (0.5 + Math.random() / 2));
  }
  const renewal = setInterval(() => void extendLock(client, [keys.lock], [token, settings.ttlMs]).catch(() => undefined), settings.ttlMs / 3);
  renewal.unref();
  try {
    await onTaken(rulesVersion);
    return await turn(token);
  } finally {
    clearInterval(renewal);
    // If this fails (Redis away), the lock expires by itself after ttlMs.
    await releaseLock(client, [keys.lock], [token]).catch(() => undefined);
  }
}
