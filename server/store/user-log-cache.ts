// Internal to the lowdb store: the users' logs kept in memory, the most recently used last. Past `limit`
// (and a tenth more) the least recently used idle ones are forgotten (read from their files again when they return); a log
// is pinned while a turn uses it, so it is never forgotten between the turn reading it and writing to it
// (a log forgotten then would be read again without that turn's message, and two logs would write one user's files).
import type { UserLog } from './user-log.ts';

export class UserLogCache {
  private readonly logs = new Map<string, Promise<UserLog | undefined>>();
  private readonly pins = new Map<string, number>();
  private evicting = false;
  /** The size that starts the next eviction: a tenth of the limit past the size the last one left. */
  private evictAt: number;

  constructor(
    private readonly load: (userId: string) => Promise<UserLog | undefined>,
    private readonly limit: number,
  ) {
    this.evictAt = limit;
  }

  get size(): number {
    return this.logs.size;
  }

  /** A user's log (undefined for a user never seen), read once and then kept. */
  get(userId: string): Promise<UserLog | undefined> {
    let loading = this.logs.get(userId);
    if (loading) {
      this.logs.delete(userId); // set again below: most recently used last
    } else {
      loading = this.load(userId);
      loading.catch(() => this.logs.get(userId) === loading && this.logs.delete(userId));
    }
    this.logs.set(userId, loading);
    // One eviction at a time, and not again before the cache has grown a tenth of its limit: logs with
    // unwritten changes cannot go until a checkpoint, and walking past them on every new user is quadratic.
    if (this.logs.size > this.evictAt && !this.evicting) void this.evictIdle();
    return loading;
  }

  /** Runs `work` with the user's log pinned: it stays in the cache until `work` settles. */
  async using<T>(userId: string, work: (log: UserLog | undefined) => Promise<T>): Promise<T> {
    this.pins.set(userId, (this.pins.get(userId) ?? 0) + 1);
    try {
      return await work(await this.get(userId));
    } finally {
      const left = this.pins.get(userId)! - 1;
      if (left === 0) this.pins.delete(userId);
      else this.pins.set(userId, left);
    }
  }

  /** Keeps `log` as the user's (a new user's first log, or one rebuilt from the journal). */
  set(userId: string, log: UserLog): void {
    this.logs.delete(userId);
    this.logs.set(userId, Promise.resolve(log));
  }

  /** Drops what is kept for the user, so the next get reads the files again. */
  forget(userId: string): void {
    this.logs.delete(userId);
  }

  /** Forgets the least recently used users beyond the limit; never a pinned one or one with unwritten changes. */
  private async evictIdle(): Promise<void> {
    this.evicting = true;
    try {
      for (const [userId, loading] of this.logs) {
        if (this.logs.size <= this.limit) break;
        if (this.pins.has(userId)) continue;
        const log = await loading.catch(() => undefined);
        if (this.logs.get(userId) !== loading || this.pins.has(userId)) continue;
        if (!log || log.idle) this.logs.delete(userId);
      }
    } finally {
      this.evicting = false;
      this.evictAt = Math.max(this.limit, this.logs.size) + Math.ceil(this.limit / 10);
    }
  }
}
