// The lowdb store: one small file for the rules, for each user a folder of small files (user-log.ts), and
// one small file per platform record (low-records.ts).
// Commits go through a write-ahead journal in batches (journal.ts) and reach the user files in periodic
// checkpoints, so storing a message costs the same however many users and messages the store holds,
// and start-up reads only the rules and whatever the journal holds that a checkpoint did not write.
import { createHash } from 'node:crypto';
import AsyncLock from 'async-lock';
import { Low, type Adapter } from 'lowdb';
import { z } from 'zod';
import type { ApiCall, StoredMessage } from '../contract.ts';
import { ruleSchema, type Rule } from '../content/rules.ts';
import type { Session } from '../session.ts';
import { StoreError, type ChatStore, type Commit, type MediaRecord, type OpenedTurn, type Records } from './chat-store.ts';
import { Checkpointer, type Scheduler } from './checkpointer.ts';
import { Journal, JournalDamage, parseJournal } from './journal.ts';
import { fileLocation, memoryLocation, type StoreLocation } from './low-location.ts';
import { UserLog, writeHistory, type UserFiles } from './user-log.ts';
import { DEFAULT_MEDIA_QUOTA_BYTES, MEDIA_LIFETIME_MS } from '../media.ts';
import { API_CALLS_KIND } from './api-call-log.ts';
import { KeptMedia } from './low-media.ts';
import { RecordShelf } from './low-records.ts';
import { moveValuesToRecords, type KeptValue } from './legacy-values.ts';
import { UserLogCache } from './user-log-cache.ts';

/** db.json: the rules, and (written by versions before the records) the platform's values, moved out at open. */
type MainData = { version: 1; rules: Rule[]; values?: Record<string, KeptValue> };

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
  /** The clock media lifetimes and records' times to live are measured with; tests pass their own. */
  now?: () => number;
  /** What runs checkpoints checkpointMs after a change; tests pass their own to run them when they choose. */
  scheduler?: Scheduler;
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
  private readonly logs: UserLogCache;
  /** One commit at a time per user, so each appends at the count the one before left. */
  private readonly turns = new AsyncLock({ maxPending: Infinity });
  private readonly journal: Journal;
  private readonly media: KeptMedia;
  private readonly shelf: RecordShelf;
  /** Logs with changes the user files do not have yet. */
  private readonly dirty = new Set<UserLog>();
  private readonly checkpointer: Checkpointer;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly options: Required<Omit<StoreOptions, 'scheduler'>>;

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
    this.shelf = new RecordShelf(location.records(), now, (work) => this.track(work));
    this.logs = new UserLogCache((userId) => UserLog.open(this.filesOf(userId), userId), this.options.cachedUsers);
    this.checkpointer = new Checkpointer(() => this.runCheckpoint(), {
      delayMs: this.options.checkpointMs,
      needed: () => this.dirty.size > 0,
      scheduler: options.scheduler,
    });
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
    await this.moveValues();
    await this.replayJournal();
    try {
      await this.moveApiCalls();
      await this.media.open();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw StoreError.aboutFile(file, `its media or API calls cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'unavailable');
    }
    // Lapsed records are never read as live; deleting their files only keeps the folders short.
    void this.track(this.shelf.sweep()).catch((err: unknown) => this.options.warn('lapsed records could not be deleted; the next start tries again', err));
  }

  async openTurn(userId: string, clientId?: string): Promise<OpenedTurn> {
    const log = await this.logs.get(userId);
    if (!log) return {};
    return { user: log.state, earlier: clientId === undefined ? undefined : log.findExchange(clientId) };
  }

  /** One process: ChatService already runs a user's turns one at a time. */
  withUserLock<T>(_key: string, turn: () => Promise<T>): Promise<T> {
    return turn();
  }

  /** No other process shares these files: rules never change behind this one's back. */
  onRulesChanged(): void {}

  /** No other process shares these files: nobody else changes a record. */
  onRecordChanged(): void {}

  /** Files are there or the store would not have opened: a failing disk shows in the writes that fail. */
  async unavailable(): Promise<string | undefined> {
    return undefined;
  }

  commit(userId: string, commit: Commit): Promise<void> {
    return this.logs.using(userId, async (existing) => {
      const log = existing ?? UserLog.create(this.filesOf(userId), userId, commit.messages[0]?.createdAt ?? new Date().toISOString());
      if (!existing) this.logs.set(userId, log);
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
        if (!existing && log.count === 0) this.logs.forget(userId); // a new user whose first turn failed
        throw err;
      }
      this.changed(log);
    });
  }

  async history(userId: string, { limit, before }: { limit: number; before?: string }): Promise<StoredMessage[] | undefined> {
    const log = await this.logs.get(userId);
    if (!log) return before ? undefined : [];
    return log.history(limit, before);
  }

  /** Writes a new user's whole history in one go (imports, benchmarks); refuses a user who exists. */
  async importHistory(userId: string, messages: StoredMessage[], session: Session): Promise<void> {
    if (await this.logs.get(userId)) throw new StoreError('conflict', `User "${userId}" exists already.`);
    this.logs.forget(userId); // "not found" must not stay cached
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

  records<T>(kind: string): Records<T> {
    return this.shelf.of<T>(kind);
  }

  /**
   * Moves the API calls an earlier version kept in db.api-calls.json to their records, then deletes the file.
   * A file that is not a list of calls is left as it is and refused (`damaged`).
   */
  private async moveApiCalls(): Promise<void> {
    const file = this.location.apiCalls();
    const data = await file.adapter.read().catch((err: unknown) => {
      if (err instanceof SyntaxError) throw StoreError.aboutFile(file.describe, 'not JSON');
      throw err;
    });
    if (data === null) return;
    if (!Array.isArray(data) || !data.every((c) => typeof (c as ApiCall | null)?.id === 'string')) throw StoreError.aboutFile(file.describe, 'not a list of API calls');
    const calls = this.shelf.of<ApiCall>(API_CALLS_KIND);
    for (const call of data as ApiCall[]) await calls.put(call.id, call);
    await file.remove(); // only once every call is a record: a crash before moves them again, to the same keys
  }

  /** Moves the values a store written by an earlier version kept in db.json to their records, then drops them from db.json. */
  private async moveValues(): Promise<void> {
    const db = this.requireMain();
    if (!db.data.values) return;
    try {
      await moveValuesToRecords(db.data.values, (kind) => this.shelf.of(kind), this.options.now());
    } catch (err) {
      throw StoreError.aboutFile(this.location.describe, `its platform values could not be moved to their records (${(err as Error).message})`, 'unavailable');
    }
    const { values, ...rest } = db.data;
    db.data = rest; // only once every record is written: a crash before leaves db.json as it was
    try {
      await db.write();
    } catch (err) {
      db.data = { ...rest, values };
      throw StoreError.unwritten('db.json without its moved values', err);
    }
  }

  /** Changes one part of db.json and writes it; when the write fails, memory goes back to what the file has. */
  private async changeMain<K extends 'rules'>(part: K, next: MainData[K], what: string): Promise<void> {
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
    await this.checkpointer.close(); // the last checkpoint
    if (this.dirty.size === 0) await this.journal.storage.clear();
    else await this.journal.storage.close(); // kept: the next start replays it
  }

  /**
   * Brings the user files up to date with the journal: retires the live journal, writes every changed
   * user, then drops the retired part. On failure the retired part stays, and the next checkpoint writes
   * the users again before dropping it.
   */
  checkpoint(): Promise<void> {
    return this.checkpointer.run();
  }

  private async runCheckpoint(): Promise<void> {
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
        if (log.value.dirty) this.dirty.add(log.value); // the checkpointer schedules the next one for it
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
        const log = (await this.logs.get(userId)) ?? UserLog.create(this.filesOf(userId), userId, commit.messages[0]?.createdAt ?? new Date().toISOString());
        this.logs.set(userId, log);
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
    if (this.journal.liveBytes >= this.options.checkpointBytes) void this.checkpointer.run().catch(() => undefined); // retried by the checkpointer
    else this.checkpointer.request();
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
}
