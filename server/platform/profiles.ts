// Each chat user's nickname and avatar, as web authorization (sns/userinfo) shows them to the account; the
// platform's user/info has not returned them since 2021. A user starts with a default derived from the user
// id, the same on every process and run, and may change both (PUT /api/users/:userId/profile).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeIssues } from '../schemas.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';

export type Profile = { nickname: string; avatarUrl: string };
type StoredProfile = Partial<Profile>;

/** The size WeChat's avatar URLs end in (`/0`, `/46`, `/64`, `/96`, `/132`); the default avatar is served at this one. */
export const AVATAR_SIZE = 132;

// Ids people choose ("alice", "bob_2") read as names; generated ones (uuids, hashes) get a Chinese one.
const READABLE_ID = /^[A-Za-z][a-z]{1,15}(?:[_-]?\d{1,3})?$/;
const GIVEN_NAMES = ['小明', '小红', '阿强', '小芳', '大伟', '小丽', '阿杰', '小雨', '晓东', '思琪', '子涵', '浩然', '欣怡', '俊杰', '雨桐', '梓轩'];

const hashOf = (userId: string) => createHash('sha256').update(userId).digest();

/** The nickname a user has until they change it: "Alice" for alice, a Chinese name and a number otherwise. */
export function defaultNickname(userId: string): string {
  if (READABLE_ID.test(userId)) return userId[0]!.toUpperCase() + userId.slice(1);
  const hash = hashOf(userId);
  return `${GIVEN_NAMES[hash[0]! % GIVEN_NAMES.length]}${hash.readUInt16BE(1) % 1000}`;
}

/** The default avatar's colour, from the user id. */
export function avatarColour(userId: string): string {
  return `hsl(${hashOf(userId).readUInt16BE(3) % 360} 55% 50%)`;
}

/** Where the simulator serves a user's default avatar, relative to its origin. */
export const defaultAvatarPath = (userId: string) => `/avatars/${encodeURIComponent(userId)}/${AVATAR_SIZE}`;

const profileChange = z
  .object({
    nickname: z
      .string({ error: 'must be a string' })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(32, { error: 'must be at most 32 characters' })
      .refine((name) => !/\p{Cc}/u.test(name), { error: 'must not contain control characters' })
      .optional(),
    avatarUrl: z
      .string({ error: 'must be a string' })
      .max(1024, { error: 'must be at most 1024 characters' })
      .refine((url) => /^https?:\/\//i.test(url) && URL.canParse(url), { error: 'must be an http(s) URL' })
      .optional(),
  })
  .strict()
  .refine((change) => change.nickname !== undefined || change.avatarUrl !== undefined, { error: 'give nickname, avatarUrl or both' });

/** Why a profile change is refused (naming the field), or the change. */
export function parseProfileChange(body: unknown): { ok: true; change: StoredProfile } | { ok: false; message: string } {
  const result = profileChange.safeParse(body);
  return result.success ? { ok: true, change: result.data } : { ok: false, message: describeIssues(result.error) };
}

export class Profiles {
  /** Only what a user changed, by user id: the defaults are never stored. */
  private readonly records: Records<StoredProfile>;

  constructor(store: ChatStore) {
    this.records = store.records('profiles');
  }

  /** The user's profile; `origin` (the simulator's, e.g. http://localhost:3000) makes the default avatar's URL absolute. */
  async get(userId: string, origin: string): Promise<Profile> {
    const stored = (await this.records.get(userId)) ?? {};
    return { nickname: stored.nickname ?? defaultNickname(userId), avatarUrl: stored.avatarUrl ?? `${origin}${defaultAvatarPath(userId)}` };
  }

  /** Changes what `change` names, keeping the rest. */
  async change(userId: string, change: StoredProfile): Promise<void> {
    const stored = (await this.records.get(userId)) ?? {};
    await this.records.put(userId, { ...stored, ...change });
  }
}
