// What the chat service needs from storage; lowdb (on disk or in memory) implements it in low-store.ts,
// Redis (shared by many processes) in redis-store.ts.
import type { Exchange, StoredMessage } from '../contract.ts';
import type { Rule } from '../content/rules.ts';
import type { Session } from '../bot/engine.ts';

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

export interface ChatStore {
  /** Reads the store, seeding it on first use; throws a StoreError when the data cannot be trusted. */
  open(seedRules: Rule[]): Promise<void>;
  getUser(userId: string): Promise<UserState | undefined>;
  /** The exchange an earlier message with this clientId produced, for idempotent resends. */
  findExchange(userId: string, clientId: string): Promise<Exchange | undefined>;
  /** Appends durably: resolves only once the data is on disk, and changes nothing when it rejects. */
  commit(userId: string, commit: Commit): Promise<void>;
  /** The newest `limit` messages older than `before` (when given), oldest first; undefined when `before` is unknown. */
  history(userId: string, options: { limit: number; before?: string }): Promise<StoredMessage[] | undefined>;
  rules(): Rule[];
  saveRules(rules: Rule[]): Promise<void>;
  /** Keeps a media file durably: resolves once record and bytes are stored. */
  putMedia(record: MediaRecord, bytes: Buffer): Promise<void>;
  getMedia(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined>;
  /** A small value the platform API keeps (access tokens, the menu); undefined once its time to live is over. */
  getValue<T>(key: string): Promise<T | undefined>;
  /** Stores a value for `ttlMs` (for ever without it); `undefined` deletes it. */
  setValue(key: string, value: unknown, ttlMs?: number): Promise<void>;
  /** Waits for pending writes. */
  close(): Promise<void>;

  // Only stores shared by many processes need these three; lowdb (one process) leaves them out.
  /**
   * Runs one turn of a user (or of the rules) holding a lock that every process sharing the store respects,
   * so turns never interleave across processes; `commit` inside refuses once the lock was lost. Callers run
   * at most one turn per key at a time in a process (ChatService queues them).
   */
  withUserLock?<T>(key: string, turn: () => Promise<T>): Promise<T>;
  /** Calls `listener` with the rules whenever another process sharing the store changed them. */
  onRulesChanged?(listener: (rules: Rule[]) => void): void;
  /** Why the store cannot serve right now (for /healthz); undefined while it can. */
  unavailable?(): Promise<string | undefined>;
}

/** Stored data that cannot be read or trusted; start-up stops and the file is left as it is. */
export class StoreError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}. It was left as it is; see "Recovering the data files" in the README.`);
    this.name = 'StoreError';
  }
}
