// The lowdb store: one small file for the rules (main-file.ts), for each user a folder of small files
// (user-log.ts), and one small file per platform record (low-records.ts).
// Commits go through a write-ahead journal in batches (journal.ts) and reach the user files in periodic
// checkpoints (unwritten-logs.ts), so storing a message costs the same however many users and messages the
// store holds, and start-up reads only the rules and whatever the journal holds that a checkpoint did not
// write (journal-replay.ts).
import { createHash } from 'node:crypto';
import type { ApiCall, StoredMessage } from '../contract.ts';
import type { Rule } from '../content/rules.ts';
import type { Session } from '../session.ts';
import { messagesJson, StoreError, type ChatStore, type Commit, type Committed, type MediaRecord, type OpenedTurn, type Records } from './chat-store.ts';
import type { Scheduler } from './checkpointer.ts';
import { Journal, journalLine } from './journal.ts';
import { replayJournal } from './journal-replay.ts';
import type { JsonBytes } from './json-bytes.ts';
import { fileLocation, memoryLocation, type StoreLocation } from './low-location.ts';
import { MainFile } from './main-file.ts';
import { UnwrittenLogs } from './unwritten-logs.ts';
import { UserLog, writeHistory, type UserFiles } from './user-log.ts';
import { DEFAULT_MEDIA_QUOTA_BYTES, MEDIA_LIFETIME_MS } from '../media.ts';
import { API_CALLS_KIND } from './api-call-log.ts';
import { KeptMedia } from './low-media.ts';
import { RecordShelf } from './low-records.ts';
import { UserLogCache } from './user-log-cache.ts';

export type StoreOptions = {
  /** Users whose logs stay in memory (the most recently active); others are read from their files again when they return. */
  cachedUsers?: number;
  /**
   * How long changes may wait in the journal before a checkpoint writes them to the user files. Rarer
   * checkpoints write fewer files (each changed user's newest segment, meta and folder once per checkpoint),
   * but every message waiting for one stays in memory (as its JSON's bytes). 10 s, with the 128 MiB bound
   * below: at 100 users flooding, 2.2 µs of server CPU a message less than every 5 s or 64 MiB (8 interleaved
   * rounds, docs/performance.md).
   */
  checkpointMs?: number;
  /** A journal this big is checkpointed at once; it bounds the work of a restart after a crash (128 MiB: 2.6 s and 465 MB here, docs/storage.md). */
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
  private readonly main: MainFile;
  private readonly logs: UserLogCache;
  /** The last commit of each user with one running: the next waits for it, so each appends at the count the one before left. */
  private readonly lastCommit = new Map<string, Promise<void>>();
  private readonly journal: Journal;
  private readonly unwritten: UnwrittenLogs;
  private readonly media: KeptMedia;
  private readonly shelf: RecordShelf;
  /** Lets go of the data's lock (data-lock.ts): set once open succeeded, called by close. */
  private unlock?: () => Promise<void>;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly options: Required<Omit<StoreOptions, 'scheduler'>>;

  constructor(
    private readonly location: StoreLocation,
    options: StoreOptions = {},
  ) {
    this.journal = new Journal(location.journal());
    this.options = {
      cachedUsers: 1000,
      checkpointMs: 10_000,
      checkpointBytes: 128 * 2 ** 20,
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
    this.main = new MainFile(location.main(), location.describe);
    this.logs = new UserLogCache((userId) => UserLog.open(this.filesOf(userId), userId), this.options.cachedUsers);
    const { checkpointMs: delayMs, checkpointBytes: bytes, checkpointParallelism: parallelism } = this.options;
    this.unwritten = new UnwrittenLogs(this.journal, { delayMs, bytes, parallelism, warn, syncFolders: location.syncUsers, scheduler: options.scheduler });
  }

  async open(seedRules: Rule[]): Promise<void> {
    const file = this.location.describe;
    try {
      await this.location.prepare();
    } catch (err) {
      const { code, path: where } = err as NodeJS.ErrnoException;
      throw StoreError.aboutFile(where ?? file, `the data folder cannot be created (${code ?? (err as Error).message}${code === 'EEXIST' || code === 'ENOTDIR' ? ': a file stands where a folder should be' : ''})`, 'unavailable');
    }
    // Before anything is read: the journal replayed below must be no other process's.
    const unlock = await this.location.lock();
    try {
      await this.main.open(seedRules, (kind) => this.shelf.of(kind), this.options.now());
      await this.recover();
      try {
        await this.moveApiCalls();
        await this.media.open();
      } catch (err) {
        if (err instanceof StoreError) throw err;
        throw StoreError.aboutFile(file, `its media or API calls cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'unavailable');
      }
    } catch (err) {
      await unlock();
      throw err;
    }
    this.unlock = unlock;
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

  /** No other process shares these files: no other process has sockets to tell. */
  async watch(): Promise<void> {}

  async unwatch(): Promise<void> {}

  /** Files are there or the store would not have opened: a failing disk shows in the writes that fail. */
  async unavailable(): Promise<string | undefined> {
    return undefined;
  }

  commit(userId: string, commit: Commit): Promise<Committed> {
    // One user's commits are written in the order they were made.
    const before = this.lastCommit.get(userId);
    const run = () => this.logs.using(userId, (existing) => this.append(userId, existing, commit));
    const turn = before ? before.then(run) : run();
    const settle = () => {
      this.pending.delete(settled);
      if (this.lastCommit.get(userId) === settled) this.lastCommit.delete(userId);
    };
    // Tracked for close() as track() would, but through the one promise that also ends the user's chain.
    const settled: Promise<void> = turn.then(settle, settle);
    this.lastCommit.set(userId, settled);
    this.pending.add(settled);
    return turn;
  }

  /** Appends a commit to the journal, then to the user's log (created for a new user) once it is on disk. */
  private async append(userId: string, existing: UserLog | undefined, commit: Commit): Promise<Committed> {
    const log = existing ?? UserLog.create(this.filesOf(userId), userId, commit.messages[0]?.createdAt ?? new Date().toISOString());
    if (!existing) this.logs.set(userId, log);
    // Each message's JSON is made once: the journal line is built from it, and the segment copies the bytes written.
    let written: JsonBytes;
    try {
      written = await this.journal.append(journalLine(userId, log.count, commit, messagesJson(commit)));
    } catch (err) {
      if (!existing && log.count === 0) this.logs.forget(userId); // a new user whose first turn failed
      throw StoreError.unwritten('The message', err, '; it was not sent. Try again.');
    }
    log.apply(commit, written);
    this.unwritten.changed(log);
    return ALONE;
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
    await this.location.syncUsers(); // the new folder's name
  }

  rules(): Rule[] {
    return this.main.rules;
  }

  saveRules(rules: Rule[]): Promise<void> {
    return this.track(this.main.saveRules(rules));
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

  /** Waits for pending writes, writes everything to the user files and, when that worked, removes the journal. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.media.close();
    if (await this.unwritten.close()) await this.journal.storage.clear(); // the last checkpoint wrote everything
    else await this.journal.storage.close(); // kept: the next start replays it
    await this.unlock?.();
  }

  /**
   * Brings the user files up to date with the journal: retires the live journal, writes every changed
   * user, then drops the retired part. On failure the retired part stays, and the next checkpoint writes
   * the users again before dropping it.
   */
  checkpoint(): Promise<void> {
    return this.unwritten.checkpoint();
  }

  /** After a crash: applies what the journal holds and the user files do not, then writes it all. */
  private async recover(): Promise<void> {
    const parts = await this.journal.storage.read();
    if (parts.length === 0) return;
    const logs = await replayJournal(parts, {
      load: (userId) => this.logs.get(userId),
      create: (userId, createdAt) => UserLog.create(this.filesOf(userId), userId, createdAt),
      warn: this.options.warn,
    });
    for (const [userId, log] of logs) this.logs.set(userId, log);
    try {
      await this.unwritten.writeReplayed(logs.values());
      await this.journal.storage.clear();
    } catch (err) {
      throw StoreError.aboutFile(this.journal.storage.describe, `its changes could not be written to the user files (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'unavailable');
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    return promise.finally(() => this.pending.delete(promise));
  }

  private filesOf(userId: string): UserFiles {
    return this.location.user(createHash('sha256').update(userId).digest('hex').slice(0, 40));
  }
}

/** What every commit says here: no other process shares these files. */
const ALONE: Committed = { elsewhere: false };
