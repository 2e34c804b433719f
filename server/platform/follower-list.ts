// The account's followers as the platform API lists them: user/get (paged by next_openid), user/info and
// user/info/batchget, user/info/updateremark. Whether a user follows is the user's own state (committed with each
// turn); remark and tags are the follower's notes (users.ts).
import { z } from 'zod';
import type { ChatService } from '../core/chat-service.ts';
import { describeIssues } from '../core/validation.ts';
import type { Follower } from '../store/chat-store.ts';
import { PlatformError } from './errors.ts';
import { followerOf, type Followers, type KnownUser } from './users.ts';

/** The platform's limits: 10 000 OpenIDs a user/get page, 100 users a batchget, 30 characters of remark. */
export const FOLLOWER_LIMITS = { pageSize: 10_000, batchget: 100, remark: 30 } as const;
// State reads at a time when listing: enough to hide a store's latency, few enough not to flood it.
const READS_AT_ONCE = 64;

export type Subscribed = KnownUser & { follower: Follower };

/** Maps `items` through `read`, READS_AT_ONCE at a time, keeping the order. */
export async function inBatches<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += READS_AT_ONCE) results.push(...(await Promise.all(items.slice(i, i + READS_AT_ONCE).map(read))));
  return results;
}

/** Pages of OpenIDs after `next` (exclusive), as user/get and user/tag/get answer them. */
export function page(openIds: string[], next: unknown, size: number): { count: number; data?: { openid: string[] }; next_openid: string } {
  const start = typeof next === 'string' && next ? openIds.findIndex((id) => id > next) : 0;
  const taken = start < 0 ? [] : openIds.slice(start, start + size);
  // The platform leaves data out of an empty page, and names the last OpenID of a full one.
  return taken.length ? { count: taken.length, data: { openid: taken }, next_openid: taken.at(-1)! } : { count: 0, next_openid: '' };
}

export class FollowerList {
  constructor(
    private readonly service: ChatService,
    private readonly followers: Followers,
    /** OpenIDs a user/get page holds (the platform's 10 000; tests pass a small one to page). */
    private readonly pageSize: number = FOLLOWER_LIMITS.pageSize,
  ) {}

  /** The follower state of a user found by OpenID (40003 for none), or undefined when they do not follow. */
  async subscribed(openId: unknown): Promise<Subscribed | undefined> {
    const user = await this.followers.find(openId);
    const follower = followerOf(user, await this.service.deliveryState(user.userId));
    return follower?.subscribed ? { ...user, follower } : undefined;
  }

  /** Everyone following now, by OpenID. */
  async everyone(): Promise<Subscribed[]> {
    const users = await this.followers.all();
    const states = await inBatches(users, async (user) => followerOf(user, await this.service.deliveryState(user.userId)));
    return users.flatMap((user, i) => (states[i]?.subscribed ? [{ ...user, follower: states[i]! }] : []));
  }

  /** GET user/get?next_openid */
  async get(query: Record<string, unknown>): Promise<object> {
    const openIds = (await this.everyone()).map((f) => f.openId);
    return { total: openIds.length, ...page(openIds, query.next_openid, this.pageSize) };
  }

  /** GET user/info?openid&lang: what the platform still tells about a user (no nickname or avatar since 2021). */
  async info(openId: unknown, lang: unknown): Promise<object> {
    const found = await this.subscribed(openId);
    if (!found) return { subscribe: 0, openid: (await this.followers.find(openId)).openId };
    const notes = await this.followers.notes.get(found.openId);
    const scene = found.follower.scene;
    return {
      subscribe: 1,
      openid: found.openId,
      language: typeof lang === 'string' && lang ? lang : 'zh_CN',
      subscribe_time: found.follower.subscribeTime,
      remark: notes?.remark ?? '',
      groupid: 0,
      tagid_list: notes?.tagIds ?? [],
      // The simulator's users find the account by its name unless they follow by a code.
      subscribe_scene: scene ? 'ADD_SCENE_QR_CODE' : 'ADD_SCENE_SEARCH',
      qr_scene: scene?.qrScene ?? 0,
      qr_scene_str: scene?.qrSceneStr ?? '',
    };
  }

  /** POST user/info/batchget { user_list: [{ openid, lang }] }: at most 100, every OpenID known (else nothing is answered). */
  async batchget(body: Record<string, unknown>): Promise<object> {
    const parsed = z.object({ user_list: z.array(z.object({ openid: z.string(), lang: z.string().optional() })).min(1) }).safeParse(body);
    if (!parsed.success) throw new PlatformError(47001, describeIssues(parsed.error));
    const list = parsed.data.user_list;
    if (list.length > FOLLOWER_LIMITS.batchget) throw new PlatformError(40032, `at most ${FOLLOWER_LIMITS.batchget} users a call`);
    return { user_info_list: await inBatches(list, ({ openid, lang }) => this.info(openid, lang)) };
  }

  /** POST user/info/updateremark { openid, remark }: a follower's remark, 30 characters at most ('' clears it). */
  async updateRemark(body: Record<string, unknown>): Promise<void> {
    const parsed = z.object({ openid: z.string(), remark: z.string() }).safeParse(body);
    if (!parsed.success) throw new PlatformError(47001, describeIssues(parsed.error));
    const { openid, remark } = parsed.data;
    if ([...remark].length > FOLLOWER_LIMITS.remark) throw new PlatformError(40097, `a remark is at most ${FOLLOWER_LIMITS.remark} characters`);
    const found = await this.subscribed(openid);
    if (!found) throw new PlatformError(43004, 'the user does not follow the account');
    await this.followers.changeNotes(found.openId, (notes) => ({ ...notes, remark }));
  }
}
