// The account's followers as the platform API sees them: the OpenID a server under test knows a user by, back
// to the simulator's user id. One record of kind `followers` per OpenID, written when a user first reaches the
// account and never changed after (so writing it before that turn commits is safe); whether and since when the
// user follows lives with the user, committed with each turn (ChatService's follow/interaction step).
import type { FollowerIndex, TurnState } from '../core/chat-service.ts';
import type { ChatStore, Follower, Records } from '../store/chat-store.ts';
import { openIdOf } from '../wechat/remote-bot.ts';
import { PlatformError } from './errors.ts';
import AsyncLock from 'async-lock';

// User ids cannot contain a space, so this lock is never a user's.
const NOTES_LOCK = 'follower notes';

/**
 * An index record: the user an OpenID names. Versions before follower state lived with the user also kept
 * `subscribed` and `subscribeTime` here, read for users whose state has no follower yet.
 */
type IndexEntry = { userId: string } & Partial<Follower>;

/** A user the platform API found by OpenID, with the follower state an earlier version recorded (if any). */
export type KnownUser = { openId: string; userId: string; recorded?: Follower };

/** What the account's server notes about a follower: a remark and tags (ids), one record per OpenID; gone when they unfollow. */
export type FollowerNotes = { remark?: string; tagIds: number[] };

export class Followers implements FollowerIndex {
  private readonly index: Records<IndexEntry>;
  /** Remarks and tags, kind `follower-notes`: kept apart from the index, which is never changed. */
  readonly notes: Records<FollowerNotes>;

  // Notes change one call at a time across every process sharing the store, so two calls never lose each other's change.
  private readonly lock = new AsyncLock({ maxPending: Infinity });

  constructor(private readonly store: ChatStore) {
    this.index = store.records<IndexEntry>('followers');
    this.notes = store.records<FollowerNotes>('follower-notes');
  }

  /**
   * Runs `change` holding the account's notes lock (the tag calls and remarks): `change` reads and writes
   * `notes` and the tags knowing no other call does meanwhile, in this process or another.
   */
  withNotesLock<T>(change: () => Promise<T>): Promise<T> {
    return this.lock.acquire(NOTES_LOCK, () => this.store.withUserLock(NOTES_LOCK, change));
  }

  /** Changes one follower's notes under the lock. */
  changeNotes(openId: string, change: (notes: FollowerNotes) => FollowerNotes): Promise<void> {
    return this.withNotesLock(async () => {
      await this.notes.put(openId, change((await this.notes.get(openId)) ?? { tagIds: [] }));
    });
  }

  /** An unfollow took away the follower's remark and tags, as on the platform. */
  async left(userId: string): Promise<void> {
    await this.notes.delete(openIdOf(userId));
  }

  /** Every user who ever reached the account, ordered by OpenID (how user/get pages). */
  async all(): Promise<KnownUser[]> {
    const entries = await this.index.list();
    return entries
      .map(({ key, value }) => ({ openId: key, userId: value.userId, recorded: recordedFollower(value) }))
      .sort((a, b) => (a.openId < b.openId ? -1 : a.openId > b.openId ? 1 : 0));
  }

  async reached(userId: string, { isNew }: { isNew: boolean }): Promise<Follower | undefined> {
    const openId = openIdOf(userId);
    // A user never stored has no record of an earlier version; one stored by it may.
    const entry = isNew ? undefined : await this.index.get(openId);
    if (entry) return recordedFollower(entry);
    await this.index.put(openId, { userId });
    return undefined;
  }

  /** The user an OpenID names; 40003 when no user ever reached the account with it. */
  async find(openId: unknown): Promise<KnownUser> {
    if (typeof openId !== 'string' || openId === '') throw new PlatformError(40003, 'touser/openid is missing');
    const entry = await this.index.get(openId);
    if (!entry) throw new PlatformError(40003, 'no user of this simulator has that OpenID');
    return { openId, userId: entry.userId, recorded: recordedFollower(entry) };
  }
}

/** The user's follower state: theirs once a turn committed one, else what an earlier version recorded. */
export function followerOf(user: KnownUser, state: TurnState): Follower | undefined {
  return state.follower ?? user.recorded;
}

function recordedFollower(entry: IndexEntry): Follower | undefined {
  return entry.subscribed === undefined || entry.subscribeTime === undefined ? undefined : { subscribed: entry.subscribed, subscribeTime: entry.subscribeTime };
}
