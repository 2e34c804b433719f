// The follow/interaction step of a turn: how an inbound changes whether the user follows the account, and the
// customer-service window it opens. Pure; what the window allows is the platform's (platform/customer-service.ts).
import type { Inbound } from '../contract.ts';
import type { Follower, FollowScene, InteractionWindow } from '../store/chat-store.ts';

/**
 * Whether an inbound opens the customer-service window, and as what: a message, or one of the events the
 * platform counts (follow, menu click). Opening a link (VIEW) and unfollowing do not.
 */
export function interactionKind(inbound: Inbound): InteractionWindow['kind'] | undefined {
  if (inbound.type !== 'event') return 'message';
  if (inbound.type === 'event' && (inbound.event === 'subscribe' || inbound.event === 'click' || inbound.event === 'scan')) return 'event';
  return undefined;
}

/**
 * The follower state and window after `inbound` at `nowMs`: a follow starts both afresh, an unfollow keeps the
 * window shut. A scan (`scene`: the code's) by a user who does not follow is a follow by that code.
 */
export function afterInbound(follower: Follower, window: InteractionWindow | undefined, inbound: Inbound, nowMs: number, scene?: FollowScene): { follower: Follower; window?: InteractionWindow } {
  if (inbound.type === 'event' && inbound.event === 'subscribe') follower = { subscribed: true, subscribeTime: Math.floor(nowMs / 1000) };
  if (inbound.type === 'event' && inbound.event === 'scan' && !follower.subscribed && scene) follower = { subscribed: true, subscribeTime: Math.floor(nowMs / 1000), scene };
  if (inbound.type === 'event' && inbound.event === 'unsubscribe') follower = { ...follower, subscribed: false };
  const kind = interactionKind(inbound);
  return { follower, window: kind ? { kind, at: nowMs, sent: 0 } : window };
}
