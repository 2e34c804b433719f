// What the chat service needs from storage; lowdb (on disk or in memory) implements it in low-store.ts,
// Redis (shared by many processes) in redis-store.ts.
import type { Exchange, StoredMessage } from '../contract.ts';
import type { Rule } from '../content/rules.ts';
import type { Session } from '../session.ts';

/** Whether a user follows the account, and since when (seconds since the epoch, as the platform API says it). */
export type Follower = { subscribed: boolean; subscribeTime: number; scene?: FollowScene };

/** The parametric QR code a follower followed by (user/info's qr_scene, qr_scene_str; 0 and '' for the other kind). */
export type FollowScene = { qrScene: number; qrSceneStr: string };

/**
 * The customer-service window: the user's last message or counted event (follow, menu click), when it
 * happened (epoch ms), and how many customer-service messages were sent since.
 */
export type InteractionWindow = { kind: 'message' | 'event'; at: number; sent: number };

/** One user as stored: the engine's session, and (in front of a server under test) their follower state and window. */
export type UserState = { userId: string; createdAt: string; session: Session; follower?: Follower; window?: InteractionWindow };

/** What a turn starts from: the user (undefined for a user never seen) and the exchange an earlier message with the turn's clientId produced. */
export type OpenedTurn = { user?: UserState; earlier?: Exchange };

/** A file the server under test uploaded, or a picture a user sent; the bytes are kept apart from it. */
export type MediaRecord = {
  mediaId: string;
  type: 'image' | 'voice' | 'video' | 'thumb';
  contentType: string;
  size: number;
  createdAt: string;
  filename?: string;
};

/**
 * What one turn stores, all or nothing: the messages to append and the user's state after them. `follower`
 * and `window` are left as they were when not given. `clientId`'s exchange is `revised` (when given) or the
 * first message, then the others.
 */
export type Commit = {
  messages: StoredMessage[];
  /** Each message's JSON, in order, when the caller made it already (the chat service does, once, for the store and the ack). */
  json?: string[];
  session: Session;
  clientId?: string;
  follower?: Follower;
  window?: InteractionWindow;
  /**
   * The turn's user message, which an earlier commit of the same turn stored (a customer-service message came
   * during the push, and must follow it): stored again in its place, now with its trace.
   */
  revised?: StoredMessage;
  /**
   * The last commit of the turn: a store that locks users across processes lets the lock go with it (one round
   * trip fewer a turn), so nothing of the user's may be written or read under that lock afterwards.
   */
  endsTurn?: boolean;
};

/** Each message's JSON, in order: the commit's own (Commit.json) when its caller made it, else made now. */
export function messagesJson({ messages, json }: Pick<Commit, 'messages' | 'json'>): string[] {
  return json ?? messages.map((m) => JSON.stringify(m));
}

/** What a commit tells its caller: whether a process other than this one has a socket of the user open. */
export type Committed = { elsewhere: boolean };

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
  /**
   * Reads, in one go, what a turn of the user starts from: their state, and the exchange `clientId` produced
   * (for idempotent resends). A plain read: it holds nothing; turns call it inside withUserLock. Rejects `damaged` or `unavailable`.
   */
  openTurn(userId: string, clientId?: string): Promise<OpenedTurn>;
  /**
   * Stores a turn durably and whole: resolves only once the data is on disk, saying whether another process
   * sharing the store watches the user (then what was stored must be published to it); rejects `unavailable`
   * (or `damaged`), changing nothing.
   */
  commit(userId: string, commit: Commit): Promise<Committed>;
  /**
   * A socket of the user is open in this process from now on (`unwatch`: one of them closed): commits made
   * by other processes sharing the store report it as `elsewhere`. Called under the user's lock before the
   * history is read, so each commit is either in that history or reported. A store of one process does nothing.
   */
  watch(userId: string): Promise<void>;
  unwatch(userId: string): Promise<void>;
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
  /**
   * The platform's own records of one kind (tokens, the menu, followers, the API-call log, and what later features add),
   * keyed by strings; `kind` is a short lowercase name of the program's, never input.
   */
  records<T>(kind: string): Records<T>;
  /**
   * Runs one turn of a user (or of the rules) holding a lock that every process sharing the store respects,
   * so turns never interleave across processes; `commit` inside refuses once the lock was lost. Callers run
   * at most one turn per key at a time in a process (ChatService queues them), so a store of one process
   * (lowdb) just runs the turn.
   */
  withUserLock<T>(key: string, turn: () => Promise<T>): Promise<T>;
  /** Calls `listener` with the rules whenever another process sharing the store changed them (never, for a store of one process). */
  onRulesChanged(listener: (rules: Rule[]) => void): void;
  /** Calls `listener` with a record's kind and key whenever a process sharing the store put or deleted it (this one included). */
  onRecordChanged(listener: (kind: string, key: string) => void): void;
  /** Why the store cannot serve right now (for /healthz); undefined while it can. */
  unavailable(): Promise<string | undefined>;
  /** Waits for pending writes, then lets go of the storage; nothing runs on a closed store's behalf afterwards. */
  close(): Promise<void>;
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
  /**
   * Stores the record only when there is no live one under the key, atomically among every process sharing the
   * store; true when this call stored it. A lease: whoever claims first does the work, the others leave it.
   */
  claim(key: string, value: T, options?: { ttlMs?: number }): Promise<boolean>;
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
