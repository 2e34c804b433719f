// A user's turn across processes: a lock in Redis with an expiry, renewed while the turn runs, whose token
// fences the commit (the commit script refuses a token that no longer holds the lock).
//
// Why a lock and not versioned sessions with retry: a turn may call the server under test (the target
// responder POSTs to a remote server, which is not idempotent), and a retry after a version clash would
// send that POST twice. With the lock a turn runs once; the expiry frees a user whose process died, and the
// fencing check makes sure a process that lost its lock (a long pause, a partition) cannot commit over the
// turn of the process that took over: its turn fails with storage_unavailable instead.
import type { RedisClient } from './connection.ts';
import { Batch } from './batches.ts';
import { extendLock, releaseLock, takeLocks } from './scripts.ts';

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

/** The user's fields as the lock script read them, when it took the lock: createdAt, session, follower, window. */
export type UserFields = Array<string | null>;

/** A lock held: its fencing token, and whether a commit already let it go (then the turn does not release it again). */
export type Lease = { readonly token: string; released: boolean };

/** What a lock is taken on: the lock's key, the user's hash (read with it) and the rules version. */
export type LockKeys = { lock: string; user: string; rulesVersion: string };

type Take = { keys: LockKeys; token: string };
/** What a take answered: the lock held (with the user's fields read with it), or someone else's; and the rules version, on one Redis. */
type Taken = { held: boolean; user: UserFields; rulesVersion: string | null };

/** The locks one script takes at most. */
const MOST_A_SCRIPT = 64;

/** The user locks one store holds, renewed together: one timer for all of them, not one set and cleared a turn. */
export class UserLocks {
  /** Lock key → lease, for every lock held (one turn per key at a time in a process: ChatService queues them). */
  private readonly held = new Map<string, Lease>();
  private renewal: NodeJS.Timeout | undefined;
  private tokensMade = 0;
  /**
   * Takes made in one poll go as one script, sent once the poll has read every socket that had data: the
   * same moment as the rate limits' charges, which the turns wait for anyway. Alone on a cluster, where each
   * user's keys lie in their own slot.
   */
  private readonly takes: Batch<Take, Taken>;

  /** `tag`: the store's own random id. */
  constructor(
    private readonly client: RedisClient,
    private readonly settings: LockSettings & { clustered: boolean },
    private readonly tag: string,
  ) {
    this.takes = new Batch((batch) => this.takeAll(batch), setImmediate, settings.clustered ? 1 : MOST_A_SCRIPT);
  }

  /** One script for the batch: on one Redis it reads the rules version too (on a cluster that is read beside, in run). */
  private async takeAll(batch: Take[]): Promise<Taken[]> {
    const keys = this.settings.clustered ? [] : [batch[0]!.keys.rulesVersion];
    for (const { keys: k } of batch) keys.push(k.lock, k.user);
    const [version, ...results] = (await takeLocks(this.client, keys, [this.settings.ttlMs, ...batch.map((t) => t.token)])) as Array<string | number | null>;
    return batch.map((_, i) => {
      const [held, ...user] = results.slice(5 * i, 5 * i + 5);
      return { held: held === 1, user: user as UserFields, rulesVersion: (version ?? null) as string | null };
    });
  }

  /**
   * Tokens need only be unique among the holders of one lock: the store's id and a counter (random bytes for
   * every turn were, profiled, a tenth of the Redis bot's main thread).
   */
  private newToken(): string {
    return `${this.tag}.${(this.tokensMade++).toString(36)}`;
  }

  /**
   * Runs `turn` holding `keys.lock`, whose lease (the fencing token) is leaseOf(keys.lock) meanwhile. `onTaken`
   * gets the rules version and the user's fields read with the lock: inside its script on one Redis, the version
   * beside it on a cluster (another slot), so the turn can first catch up with rules another process changed.
   */
  async run<T>(keys: LockKeys, onTaken: (rulesVersion: number, user: UserFields) => Promise<void>, turn: () => Promise<T>): Promise<T> {
    const { client, settings } = this;
    const token = this.newToken();
    const deadline = Date.now() + settings.waitMs;
    let taken: Taken;
    for (let attempt = 0; ; attempt++) {
      const [result, version] = await Promise.all([this.takes.add({ keys, token }), settings.clustered ? client.get(keys.rulesVersion) : undefined]).catch((err: unknown) => {
        // A take that timed out may still run once Redis answers again, and one that ran is no use when the
        // version read failed; the release, sent after it on the same connection, runs after it, so the user
        // is not locked out until the expiry.
        void releaseLock(client, [keys.lock], [token]).catch(() => undefined);
        throw err;
      });
      taken = version === undefined ? result : { ...result, rulesVersion: version };
      if (taken.held) break;
      if (Date.now() > deadline) throw new LockTimeout(`another process has held this user's turn for over ${settings.waitMs} ms`);
      // Short, jittered waits: turns take milliseconds, and two waiters should not retry in step.
      await sleep(Math.min(50, 2 + 2 ** attempt) * (0.5 + Math.random() / 2));
    }
    const lease: Lease = { token, released: false };
    this.hold(keys.lock, lease);
    try {
      await onTaken(Number(taken.rulesVersion ?? 0), taken.user);
      return await turn();
    } finally {
      this.letGo(keys.lock);
      // If this fails (Redis away), the lock expires by itself after ttlMs.
      if (!lease.released) await releaseLock(client, [keys.lock], [token]).catch(() => undefined);
    }
  }

  /** The lease of the lock on `key`, while a turn of this store holds it. */
  leaseOf(key: string): Lease | undefined {
    return this.held.get(key);
  }

  private hold(key: string, lease: Lease): void {
    this.held.set(key, lease);
    // Every third of the expiry while any lock is held: each is renewed within a third of it of being taken, as before.
    this.renewal ??= setInterval(() => this.renewAll(), this.settings.ttlMs / 3).unref();
  }

  private letGo(key: string): void {
    this.held.delete(key);
    if (this.held.size === 0 && this.renewal) {
      clearInterval(this.renewal);
      this.renewal = undefined;
    }
  }

  private renewAll(): void {
    // A lock that a commit let go (or that expired) is not extended: the script checks the token.
    for (const [key, { token }] of this.held) void extendLock(this.client, [key], [token, this.settings.ttlMs]).catch(() => undefined);
  }
}
