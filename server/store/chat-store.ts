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
  /** A small value the platform API keeps (access tokens, the menu); undefined once its time to live is over. */
  getValue<T>(key: string): Promise<T | undefined>;
  /** Stores a value for `ttlMs` (for ever without it); `undefined` deletes it. Rejects `unavailable`, keeping the old value. */
  setValue(key: string, value: unknown, ttlMs?: number): Promise<void>;
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
  /** Calls `listener` with a value's key whenever a process sharing the store set it (this one included). */
  onValueChanged?(listener: (key: string) => void): void;
  /** Why the store cannot serve right now (for /healthz); undefined while it can. */
  unavailable?(): Promise<string | undefined>;
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

  /** A write the storage refused (a full or read-only disk): `what` could not be stored, and nothing changed. */
  static unwritten(what: string, err: unknown, ending = '.'): StoreError {
    const code = (err as NodeJS.ErrnoException).code ?? 'write failed';
    return new StoreError('unavailable', `${what} could not be stored (${code})${ending}`);
  }
}
