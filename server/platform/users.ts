// The account's followers as the platform API sees them: the OpenID a server under test knows a user by,
// back to the simulator's user id, and whether (and since when) they follow. Recorded as users reach the
// account, once per user and on (un)subscribe, never on every message.
import type { Inbound } from '../contract.ts';
import type { Responder } from '../core/chat-service.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { openIdOf } from '../wechat/remote-bot.ts';
import { PlatformError } from './errors.ts';

export type Follower = { userId: string; subscribed: boolean; subscribeTime: number };

/** A turn being answered right now: what the user did, when, and how many customer-service messages it got so far. */
export type Interaction = { kind: 'message' | 'event'; at: number; sent: number };

// Remembered per process so that a known user costs no store read; forgotten wholesale when it grows too big.
const MAX_REMEMBERED = 100_000;

export class Followers {
  private readonly known = new Set<string>();
  private readonly answering = new Map<string, Interaction>();
  /** One record per OpenID. */
  private readonly followers: Records<Follower>;

  constructor(
    store: ChatStore,
    private readonly now: () => number,
  ) {
    this.followers = store.records<Follower>('followers');
  }

  /** Wraps whoever answers so that every user who reaches the account is known by their OpenID. */
  tracking(inner: Responder): Responder {
    return async (turn) => {
      await this.saw(turn.userId, turn.inbound);
      const kind = interactionKind(turn.inbound);
      // While the server under test handles a push, it may already call the API about this user.
      if (kind) this.answering.set(turn.userId, { kind, at: this.now(), sent: 0 });
      try {
        return await inner(turn);
      } finally {
        if (kind) this.answering.delete(turn.userId);
      }
    };
  }

  /** The interaction being answered for this user right now, if any. */
  inProgress(userId: string): Interaction | undefined {
    return this.answering.get(userId);
  }

  /** The follower an OpenID names; 40003 when no user ever reached the account with it. */
  async get(openId: unknown): Promise<Follower & { openId: string }> {
    if (typeof openId !== 'string' || openId === '') throw new PlatformError(40003, 'touser/openid is missing');
    const follower = await this.followers.get(openId);
    if (!follower) throw new PlatformError(40003, 'no user of this simulator has that OpenID');
    return { ...follower, openId };
  }

  private async saw(userId: string, inbound: Inbound): Promise<void> {
    const openId = openIdOf(userId);
    const seconds = Math.floor(this.now() / 1000);
    if (inbound.type === 'event' && (inbound.event === 'subscribe' || inbound.event === 'unsubscribe')) {
      const subscribed = inbound.event === 'subscribe';
      const before = await this.followers.get(openId);
      const subscribeTime = subscribed || !before ? seconds : before.subscribeTime;
      await this.followers.put(openId, { userId, subscribed, subscribeTime } satisfies Follower);
      this.remember(openId);
      return;
    }
    if (this.known.has(openId)) return;
    // Someone writing to the account follows it, even if no subscribe event was ever sent for them.
    if (!(await this.followers.get(openId))) {
      await this.followers.put(openId, { userId, subscribed: true, subscribeTime: seconds } satisfies Follower);
    }
    this.remember(openId);
  }

  private remember(openId: string): void {
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.add(openId);
  }
}

/**
 * Whether an inbound opens the customer-service window, and as what: a message, or one of the events the
 * platform counts (follow, menu click). Opening a link (VIEW) and unfollowing do not.
 */
export function interactionKind(inbound: Inbound): Interaction['kind'] | undefined {
  if (inbound.type === 'text' || inbound.type === 'image') return 'message';
  if (inbound.type === 'event' && (inbound.event === 'subscribe' || inbound.event === 'click')) return 'event';
  return undefined;
}
