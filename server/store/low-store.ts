// The lowdb store: one small file for the rules, and for each user a folder of small files (user-log.ts).
// Commits go through a write-ahead journal in batches (journal.ts) and reach the user files in periodic
// checkpoints, so storing a message costs the same however many users and messages the store holds,
// and start-up reads only the rules and whatever the journal holds that a checkpoint did not write.
import { createHash } from 'node:crypto';
import AsyncLock from 'async-lock';
import { Low, type Adapter } from 'lowdb';
import { z } from 'zod';
import type { ApiCall, Exchange, StoredMessage } from '../contract.ts';
import { ruleSchema, type Rule } from '../content/rules.ts';
import type { Session } from '../session.ts';
import { StoreError, type ChatStore, type Commit, type MediaRecord, type UserState } from './chat-store.ts';
import { Journal, JournalDamage, parseJournal } from './journal.ts';
import { fileLocation, memoryLocation, type StoreLocation } from './low-location.ts';
import { UserLog, writeHistory, type UserFiles } from './user-log.ts';
import { DEFAULT_MEDIA_QUOTA_BYTES, MEDIA_LIFETIME_MS } from '../media.ts';
import { RecentApiCalls } from './low-api-calls.ts';
import { KeptMedia } from './low-media.ts';

/** A value the platform API keeps, and when it lapses (epoch ms). */
type KeptValue = { value: unknown; expiresAt?: number };
type MainData = { version: 1; rules: Rule[]; values?: Record<string, KeptValue> };

const lapsed = (kept: KeptValue, now: number) => kept.expiresAt !== undefined && kept.expiresAt <= now;

const mainSchema = z.object({
  version: z.literal(1),
  rules: z.array(ruleSchema),
  values: z.record(z.string(), z.object({ value: z.unknown(), expiresAt: z.number().optional() })).optional(),
});

export type StoreOptions = {
  /** Users whose logs stay in memory (the most recently active); others are read from their files again when they return. */
  cachedUsers?: number;
  /**
   * How long changes may wait in the journal before a checkpoint writes them to the user files. Rarer
   * checkpoints rewrite each changed user's newest segment less often, but every message waiting for one
   * stays in memory: 2 s keeps that to tens of megabytes at full load (5 s measured no cheaper per message).
   */
  checkpointMs?: number;
  /** A journal this big is checkpointed at once; it bounds the work of a restart after a crash (32 MiB: under a second). */
  checkpointBytes?: number;
  /**
   * Users whose files are written at the same time during a checkpoint. One: parallel writers fill the fs
   * pool and fight the main thread for the cores, so messages slow down more than the checkpoint speeds up.
   */
  checkpointParallelism?: number;
  /** Told about what needs no answer but deserves a look: failed checkpoints (retried), a torn journal end. */
  warn?: (message: string, err?: unknown) => void;
  /** The bytes of live media kept at most (MEDIA_QUOTA_MB); uploads past it are refused. */
  mediaQuotaBytes?: number;
  /** How often media whose 3 days are over are deleted (besides at open): hourly. */
  mediaSweepMs?: number;
  /** The clock media lifetimes are measured with; tests pass their own. */
  now?: () => number;
};

/** The store in files next to `dbFile` (db.json, db.users/, db.journal, db.media/): what `npm start` uses. */
export function fileStore(dbFile: string, options: StoreOptions = {}): LowStore {
  return new LowStore(fileLocation(dbFile), options);
}

/** The store in memory, for tests and throwaway runs: gone when the process ends. */
export function memoryStore(options: StoreOptions = {}): LowStore {
  return new LowStore(memoryLocation(), options);
}

/** ChatStore on lowdb; build it with fileStore() or memoryStore(). */
export class LowStore implements ChatStore {
  private main?: Low<MainData>;
  private readonly logs = new Map<string, Promise<UserLog | undefined>>();
  /** One commit at a time per user, so each appends at the count the one before left. */
  private readonly turns = new AsyncLock({ maxPending: Infinity });
  private readonly journal: Journal;
  private readonly media: KeptMedia;
  private readonly apiCalls: RecentApiCalls;
  /** Logs with changes the user files do not have yet. */
  private readonly dirty = new Set<UserLog>();
  private checkpointTimer?: NodeJS.Timeout;
  private checkpointing?: Promise<void>;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly options: Required<StoreOptions>;

  constructor(
    private readonly location: StoreLocation,
    options: StoreOptions = {},
  ) {
    this.journal = new Journal(location.journal());
    this.options = {
      cachedUsers: 1000,
      checkpointMs: 2000,
      checkpointBytes: 32 * 2 ** 20,
      checkpointParallelism: 1,
      warn: () => {},
      mediaQuotaBytes: DEFAULT_MEDIA_QUOTA_BYTES,
      mediaSweepMs: 3600_000,
      now: Date.now,
      ...options,
    };
    const { mediaQuotaBytes: quotaBytes, mediaSweepMs: sweepMs, now, warn } = this.options;
    this.media = new KeptMedia(location.media(), { lifetimeMs: MEDIA_LIFETIME_MS, quotaBytes, sweepMs, now }, warn);
    this.apiCalls = new RecentApiCalls(location.apiCalls());
  }

  async open(seedRules: Rule[]): Promise<void> {
    const file = this.location.describe;
    try {
      await this.location.prepare();
    } catch (err) {
      const { code, path: where } = err as NodeJS.ErrnoException;
      throw StoreError.aboutFile(where ?? file, `the data folder cannot be created (${code ?? (err as Error).message}${code === 'EEXIST' || code === 'ENOTDIR' ? ': a file stands where a folder should be' : ''})`, 'unavailable');
    }
    let raw: unknown;
    try {
      raw = await this.location.main().read();
    } catch (err) {
      throw StoreError.aboutFile(file, err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot be read (${(err as Error).message})`);
    }
    const db = new Low<MainData>(this.location.main() as Adapter<MainData>, { version: 1, rules: seedRules });
    if (raw === null) {
      await db.write(); // a new store: seed the rules
    } else {
      const parsed = mainSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw StoreError.aboutFile(file, `not a store file of this version (${issue?.path.join('.') || 'top level'}: ${issue?.message})`);
      }
      db.data = parsed.data as MainData;
    }
    this.main = db;
    await this.replayJournal();
    try {
      await this.apiCalls.open();
      await this.media.open();
    } catch (err) {
      throw StoreError.aboutFile(file, `its media or API calls cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'unavailable');
    }
  }

  async getUser(userId: string): Promise<UserState | undefined> {
    const log = await this.log(userId);
    return log && { userId, createdAt: log.createdAt, session: log.session };
  }

  async findExchange(userId: string, clientId: string): Promise<Exchange | undefined> {
    return (await this.log(userId))?.findExchange(clientId);
  }

  async commit(userId: string, commit: Commit): Promise<void> {
    const existing = await this.log(userId);
    const log = existing ?? UserLog.create(this.filesOf(userId), userId, commit.messages[0]?.createdAt ?? new Date().toISOString());
    if (!existing) this.logs.set(userId, Promise.resolve(log));
    const turn = this.turns.acquire(userId, async () => {
      try {
        await this.journal.append({ userId, at: log.count, commit });
      } catch (err) {
        throw StoreError.unwritten('The message', err, '; it was not sent. Try again.');
      }
      log.apply(commit);
    });
    try {
      await this.track(turn);
    } catch (err) {
      if (!existing && log.count === 0) this.logs.delete(userId); // a new user whose first turn failed
      throw err;
    }
    this.changed(log);
  }

  async history(userId: string, { limit, before }: { limit: number; before?: string }): Promise<StoredMessage[] | undefined> {
    const log = await this.log(userId);
    if (!log) return before ? undefined : [];
    return log.history(limit, before);
  }

  /** Writes a new user's whole history in one go (imports, benchmarks); refuses a user who exists. */
  async importHistory(userId: string, messages: StoredMessage[], session: Session): Promise<void> {
    if (await this.log(userId)) throw new StoreError('conflict', `User "${userId}" exists already.`);
    this.logs.delete(userId); // "not found" must not stay cached
    await writeHistory(this.filesOf(userId), userId, messages, session);
  }

  rules(): Rule[] {
    return this.requireMain().data.rules;
  }

  saveRules(rules: Rule[]): Promise<void> {
    return this.changeMain('rules', rules, 'The rules');
  }

  async putMedia(record: MediaRecord, bytes: Buffer): Promise<void> {
    try {
      await this.track(this.media.put(record, bytes));
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw StoreError.unwritten('The file', err);
    }
  }

  async getMedia(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined> {
    try {
      return await this.media.get(mediaId);
    } catch (err) {
      throw new StoreError('unavailable', `The file could not be read (${(err as NodeJS.ErrnoException).code ?? 'read failed'}).`);
    }
  }

  /** Deletes the media whose lifetime is over now (the store does it at open and every mediaSweepMs). */
  sweepMedia(): Promise<void> {
    return this.track(this.media.sweep());
  }

  async recordApiCall(call: ApiCall): Promise<void> {
    try {
      await this.track(this.apiCalls.add(call));
    } catch (err) {
      throw StoreError.unwritten('The API call', err);
    }
  }

  async recentApiCalls(): Promise<ApiCall[]> {
    return this.apiCalls.list();
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    const kept = this.requireMain().data.values?.[key];
    return kept && !lapsed(kept, Date.now()) ? (kept.value as T) : undefined;
  }

  /** Kept in db.json: a handful of small values that change when the server under test asks, not per message. */
  setValue(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const now = Date.now();
    // Lapsed values are dropped whenever one is written, so the file does not grow with old tokens.
    const values = Object.fromEntries(Object.entries(this.requireMain().data.values ?? {}).filter(([k, v]) => k !== key && !lapsed(v, now)));
    if (value !== undefined) values[key] = ttlMs === undefined ? { value } : { value, expiresAt: now + ttlMs };
    return this.changeMain('values', values, 'The value');
  }

  /** Changes one part of db.json and writes it; when the write fails, memory goes back to what the file has. */
  private async changeMain<K extends 'rules' | 'values'>(part: K, next: MainData[K], what: string): Promise<void> {
    const db = this.requireMain();
    const previous = db.data[part];
    db.data[part] = next;
    try {
      await this.track(db.write());
    } catch (err) {
      db.data[part] = previous;
      throw StoreError.unwritten(what, err);
    }
  }

  /** Waits for pending writes, writes everything to the user files and, when that worked, removes the journal. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.closed = true; // no checkpoint is scheduled from now on: the one below is the last
    this.media.close();
    await this.apiCalls.flushed();
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    await this.checkpointing?.catch(() => undefined);
    await this.checkpoint().catch(() => undefined);
    if (this.dirty.size === 0) await this.journal.storage.clear();
    else await this.journal.storage.close(); // kept: the next start replays it
  }

  /**
   * Brings the user files up to date with the journal: retires the live journal, writes every changed
   * user, then drops the retired part. On failure the retired part stays, and the next checkpoint writes
   * the users again before dropping it.
   */
  checkpoint(): Promise<void> {
    this.checkpointing ??= this.runCheckpoint().finally(() => (this.checkpointing = undefined));
    return this.checkpointing;
  }

  private async runCheckpoint(): Promise<void> {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (!this.journal.storage.hasRetired) await this.journal.retire();
    const logs = [...this.dirty];
    this.dirty.clear();
    let failure: unknown;
    const next = logs.values();
    const worker = async () => {
      for (let log = next.next(); !log.done; log = next.next()) {
        try {
          await log.value.flush();
        } catch (err) {
          failure ??= err;
        }
        if (log.value.dirty) this.changed(log.value);
      }
    };
    await Promise.all(Array.from({ length: this.options.checkpointParallelism }, worker));
    if (failure) {
      this.options.warn('checkpoint failed; the journal keeps the changes and it is retried', failure);
      throw failure;
    }
    await this.journal.storage.dropRetired();
  }

  /** After a crash: applies what the journal holds and the user files do not, then writes it all. */
  private async replayJournal(): Promise<void> {
    const parts = await this.journal.storage.read();
    for (const { describe, text } of parts) {
      let parsed;
      try {
        parsed = parseJournal(describe, text);
      } catch (err) {
        if (err instanceof JournalDamage) throw StoreError.aboutFile(err.file, err.message);
        throw err;
      }
      if (parsed.tornTail) this.options.warn(`${describe}: the last line was cut short by a crash; it was never acknowledged and is left out`);
      for (const [i, { userId, at, commit }] of parsed.entries.entries()) {
        const log = (await this.log(userId)) ?? UserLog.create(this.filesOf(userId), userId, commit.messages[0]?.createdAt ?? new Date().toISOString());
        this.logs.set(userId, Promise.resolve(log));
        if (at < log.count) continue; // a checkpoint wrote it before the crash
        if (at > log.count) throw StoreError.aboutFile(describe, `line ${i + 1} continues ${userId}'s history at message ${at}, but the user files hold ${log.count}`);
        log.apply(commit);
        this.dirty.add(log);
      }
    }
    if (parts.length === 0) return;
    try {
      await this.runCheckpoint();
      await this.journal.storage.clear();
    } catch (err) {
      throw StoreError.aboutFile(this.journal.storage.describe, `its changes could not be written to the user files (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'unavailable');
    }
  }

  /** Notes a log with changes, and makes sure a checkpoint will come. */
  private changed(log: UserLog): void {
    this.dirty.add(log);
    if (this.closed) return; // the journal keeps it for the next start
    if (this.journal.liveBytes >= this.options.checkpointBytes) {
      void this.checkpoint().catch(() => this.scheduleCheckpoint());
    } else {
      this.scheduleCheckpoint();
    }
  }

  /** Schedules the next checkpoint, unless one is scheduled already or there is nothing to write. */
  private scheduleCheckpoint(): void {
    if (this.closed || this.checkpointTimer || this.dirty.size === 0) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      void this.checkpoint().catch(() => this.scheduleCheckpoint());
    }, this.options.checkpointMs);
    this.checkpointTimer.unref();
  }

  private requireMain(): Low<MainData> {
    if (!this.main) throw new Error('The store is not open; call open() first.');
    return this.main;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    return promise.finally(() => this.pending.delete(promise));
  }

  private filesOf(userId: string): UserFiles {
    return this.location.user(createHash('sha256').update(userId).digest('hex').slice(0, 40));
  }

  /** A user's log, read once and then kept, most recently used last. */
  private log(userId: string): Promise<UserLog | undefined> {
    let loading = this.logs.get(userId);
    if (loading) {
      this.logs.delete(userId);
    } else {
      loading = UserLog.open(this.filesOf(userId), userId);
      loading.catch(() => this.logs.delete(userId));
    }
    this.logs.set(userId, loading);
    if (this.logs.size > this.options.cachedUsers) void this.evictIdle();
    return loading;
  }

  /** Forgets the least recently used users beyond the limit; never one with a turn or unwritten changes. */
  private async evictIdle(): Promise<void> {
    for (const [userId, loading] of this.logs) {
      if (this.logs.size <= this.options.cachedUsers) break;
      const log = await loading.catch(() => undefined);
      if (this.logs.get(userId) !== loading) continue;
      if (!log || (log.idle && !this.turns.isBusy(userId))) this.logs.delete(userId);
    }
  }
}
