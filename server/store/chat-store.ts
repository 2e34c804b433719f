// What the chat service needs from storage; lowdb (on disk or in memory) implements it in low-store.ts,
// Redis (shared by many processes) in redis-store.ts.
import type { ApiCall, Exchange, StoredMessage } from '../contract.ts';
import type { Rule } from '../content/rules.ts';
import type { Session } from '../session.ts';

export type UserState = { userId: string; createdAt: string; session: Session };

/** A file the server under test uploaded, or a picture a user sent; the bytes are kept apart from it. */
export type MediaRecord = {
  mediaId: string;
  type: 'image' | 'voice' | 'video' | 'thumb';
  contentType: string;
  size: number;
  createdAt: string;
  filename?: string;
};

/** One committed turn: the messages to append, the session after them, and the clientId they answer. */
export type Commit = { messages: StoredMessage[]; session: Session; clientId?: string };

/**
 * The storage seam: everything the chat service keeps goes through it.
 *
 * Errors: a method that fails rejects with a StoreError, never with a transport's error: `unavailable`
 * when the storage cannot be reached or written now (retrying later may work), `damaged` when stored data
 * cannot be read or trusted (it is left as it is for a person to look at), `conflict` when the request
 * contradicts what is stored, `quota` when it would store more media than the store may hold. A write that rejects changes nothing: what reads return afterwards is what
 * they returned before it, and a retry of the same write may succeed. Anything else thrown is a bug.
 */
export interface ChatStore {
  /** Reads the store, seeding it on first use; rejects (`damaged`, `unavailable`) when the data cannot be trusted or reached. */
  open(seedRules: Rule[]): Promise<void>;
  /** The user's state, or undefined for a user never seen; rejects `damaged` or `unavailable`. */
  getUser(userId: string): Promise<UserState | undefined>;
  /** The exchange an earlier message with this clientId produced, for idempotent resends. */
  findExchange(userId: string, clientId: string): Promise<Exchange | undefined>;
  /** Appends durably: resolves only once the data is on disk; rejects `unavailable` (or `damaged`), changing nothing. */
  commit(userId: string, commit: Commit): Promise<void>;
  /** The newest `limit` messages older than `before` (when given), oldest first; undefined when `before` is unknown. */
  history(userId: string, options: { limit: number; before?: string }): Promise<StoredMessage[] | undefined>;
  /** The keyword rules as last saved (or seeded). */
  rules(): Rule[];
  /** Replaces the rules durably; rejects `unavailable`, keeping the old ones. */
  saveRules(rules: Rule[]): Promise<void>;
  /**
   * Keeps a media file durably for the media lifetime from its `createdAt` (then its bytes are deleted):
   * resolves once record and bytes are stored; rejects `quota` when the live media would pass the store's
   * quota, `unavailable` when it cannot be written.
   */
  putMedia(record: MediaRecord, bytes: Buffer): Promise<void>;
  /** A media file, or undefined when there is none or its lifetime is over. */
  getMedia(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined>;
  /** Keeps a platform API call among the newest API_CALLS_KEPT (older ones are dropped); rejects `unavailable`. */
  recordApiCall(call: ApiCall): Promise<void>;
  /** The newest API calls kept, oldest first. */
  recentApiCalls(): Promise<ApiCall[]>;
  /**
   * The platform's own records of one kind (tokens, the menu, followers, and what later features add),
   * keyed by strings; `kind` is a short lowercase name of the program's, never input.
   */
  records<T>(kind: string): Records<T>;
  /** Waits for pending writes, then lets go of the storage; nothing runs on a closed store's behalf afterwards. */
  close(): Promise<void>;

  // Only stores shared by many processes need these; lowdb (one process) leaves them out.
  /**
   * Runs one turn of a user (or of the rules) holding a lock that every process sharing the store respects,
   * so turns never interleave across processes; `commit` inside refuses once the lock was lost. Callers run
   * at most one turn per key at a time in a process (ChatService queues them).
   */
  withUserLock?<T>(key: string, turn: () => Promise<T>): Promise<T>;
  /** Calls `listener` with the rules whenever another process sharing the store changed them. */
  onRulesChanged?(listener: (rules: Rule[]) => void): void;
  /** Calls `listener` with a record's kind and key whenever a process sharing the store put or deleted it (this one included). */
  onRecordChanged?(listener: (kind: string, key: string) => void): void;
  /** Why the store cannot serve right now (for /healthz); undefined while it can. */
  unavailable?(): Promise<string | undefined>;
}

/**
 * Records of one kind, by key. Errors as for ChatStore: `unavailable` when the storage cannot be reached or
 * written (a failed put or delete changes nothing), `damaged` when a stored record cannot be read.
 */
export interface Records<T> {
  /** The record, or undefined when there is none or its time to live is over. */
  get(key: string): Promise<T | undefined>;
  /** Stores the record durably, replacing any before it; with `ttlMs` it lapses that long after now. */
  put(key: string, value: T, options?: { ttlMs?: number }): Promise<void>;
  /** Removes the record; removing one that is not there is no error. */
  delete(key: string): Promise<void>;
  /** Every live record whose key starts with `prefix` (all of them without it), in no particular order. */
  list(prefix?: string): Promise<{ key: string; value: T }[]>;
}

/** Record kinds name folders and keys: short lowercase words, so they never need escaping. */
export const RECORD_KIND = /^[a-z][a-z0-9-]{0,31}$/;

/** Refuses a kind that is not RECORD_KIND: a programming error, not bad input. */
export function checkKind(kind: string): string {
  if (!RECORD_KIND.test(kind)) throw new Error(`Record kind "${kind}" must match ${RECORD_KIND}.`);
  return kind;
}

/** What went wrong: see ChatStore. */
export type StoreErrorKind = 'unavailable' | 'damaged' | 'conflict' | 'quota';

/** Why a store method failed; the message is meant for people and says what to do where it can. */
export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }

  /** A stored file that cannot be read, trusted or brought up to date; it is left as it is for a person to recover. */
  static aboutFile(file: string, reason: string, kind: StoreErrorKind = 'damaged'): StoreError {
    return new StoreError(kind, `${file}: ${reason}. It was left as it is; see "Recovering the data files" in docs/storage.md.`);
  }

  /** The store's live media would pass their quota with this file: nothing was stored. */
  static mediaQuota(usedBytes: number, quotaBytes: number, lifetimeMs: number): StoreError {
    const mb = (n: number) => Math.round(n / 2 ** 20);
    return new StoreError('quota', `The media storage is full (${mb(usedBytes)} of ${mb(quotaBytes)} MB); media are deleted ${lifetimeMs / 86_400_000} days after upload, or raise MEDIA_QUOTA_MB.`);
  }

  /** A write the storage refused (a full or read-only disk): `what` could not be stored, and nothing changed. */
  static unwritten(what: string, err: unknown, ending = '.'): StoreError {
    const code = (err as NodeJS.ErrnoException).code ?? 'write failed';
    return new StoreError('unavailable', `${what} could not be stored (${code})${ending}`);
  }
}
