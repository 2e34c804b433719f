// The account's tags (tags/create|get|update|delete, tags/members/batchtagging|batchuntagging, tags/getidlist,
// user/tag/get) with the platform's limits: 100 tags an account, 20 a follower, 50 OpenIDs a call, names of 30
// bytes. A tag is a record of kind `tags`; who has it lives in each follower's notes (users.ts).
import { z } from 'zod';
import { describeIssues } from '../core/validation.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { PlatformError } from './errors.ts';
import { page, type FollowerList } from './follower-list.ts';
import type { Followers } from './users.ts';

export const TAG_LIMITS = { perAccount: 100, perFollower: 20, openIdsPerCall: 50, nameBytes: 30 } as const;
// Ids 0-2 are the platform's own groups (0 none, 1 blacklist, 2 starred); an account's tags count from 100.
const FIRST_ID = 100;

type Tag = { id: number; name: string };

const tagName = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' });
const tagId = z.number({ error: 'must be a number' }).int();
const membersBody = z.object({ openid_list: z.array(z.string()).min(1, { error: 'must name at least one openid' }), tagid: tagId });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new PlatformError(47001, describeIssues(parsed.error));
  return parsed.data;
}

export class Tags {
  private readonly tags: Records<Tag>;

  constructor(
    store: ChatStore,
    private readonly followers: Followers,
    private readonly list: FollowerList,
    private readonly pageSize: number,
  ) {
    this.tags = store.records<Tag>('tags');
  }

  /** Every tag, by id. */
  async all(): Promise<Tag[]> {
    return (await this.tags.list()).map(({ value }) => value).sort((a, b) => a.id - b.id);
  }

  /** POST tags/create { tag: { name } } → { tag: { id, name } } */
  async create(body: Record<string, unknown>): Promise<object> {
    const { tag } = parse(z.object({ tag: z.object({ name: tagName }) }), body);
    return this.followers.withNotesLock(async () => {
      const tags = await this.all();
      this.checkName(tag.name, tags);
      if (tags.length >= TAG_LIMITS.perAccount) throw new PlatformError(45056, `an account has at most ${TAG_LIMITS.perAccount} tags`);
      const created = { id: Math.max(FIRST_ID - 1, ...tags.map((t) => t.id)) + 1, name: tag.name };
      await this.tags.put(String(created.id), created);
      return { tag: created };
    });
  }

  /** GET tags/get → { tags: [{ id, name, count }] }, count being the followers who have it. */
  async get(): Promise<object> {
    const [tags, notes] = await Promise.all([this.all(), this.followers.notes.list()]);
    const counts = new Map<number, number>();
    for (const { value } of notes) for (const id of value.tagIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    return { tags: tags.map((t) => ({ ...t, count: counts.get(t.id) ?? 0 })) };
  }

  /** POST tags/update { tag: { id, name } } */
  async update(body: Record<string, unknown>): Promise<void> {
    const { tag } = parse(z.object({ tag: z.object({ id: tagId, name: tagName }) }), body);
    await this.followers.withNotesLock(async () => {
      const tags = await this.all();
      const known = this.known(tag.id, tags);
      if (known.name === tag.name) return;
      this.checkName(tag.name, tags);
      await this.tags.put(String(tag.id), { id: tag.id, name: tag.name });
    });
  }

  /** POST tags/delete { tag: { id } }: the tag goes from every follower too. */
  async delete(body: Record<string, unknown>): Promise<void> {
    const { tag } = parse(z.object({ tag: z.object({ id: tagId }) }), body);
    await this.followers.withNotesLock(async () => {
      this.known(tag.id, await this.all());
      for (const { key, value } of await this.followers.notes.list()) {
        if (value.tagIds.includes(tag.id)) await this.followers.notes.put(key, { ...value, tagIds: value.tagIds.filter((id) => id !== tag.id) });
      }
      await this.tags.delete(String(tag.id));
    });
  }

  /** POST tags/members/batchtagging { openid_list, tagid }: all or nothing, every OpenID checked first. */
  async tag(body: Record<string, unknown>): Promise<void> {
    await this.changeMembers(body, (tagIds, id, openId) => {
      if (tagIds.includes(id)) return tagIds;
      if (tagIds.length >= TAG_LIMITS.perFollower) throw new PlatformError(45059, `${openId} has ${TAG_LIMITS.perFollower} tags already, the most a follower may have`);
      return [...tagIds, id];
    });
  }

  /** POST tags/members/batchuntagging { openid_list, tagid } */
  async untag(body: Record<string, unknown>): Promise<void> {
    await this.changeMembers(body, (tagIds, id) => tagIds.filter((t) => t !== id));
  }

  /** POST tags/getidlist { openid } → { tagid_list } */
  async idList(body: Record<string, unknown>): Promise<object> {
    const { openid } = parse(z.object({ openid: z.string() }), body);
    const found = await this.list.subscribed(openid);
    if (!found) throw new PlatformError(43004, 'the user does not follow the account');
    return { tagid_list: (await this.followers.notes.get(found.openId))?.tagIds ?? [] };
  }

  /** POST user/tag/get { tagid, next_openid } → { count, data: { openid }, next_openid } */
  async members(body: Record<string, unknown>): Promise<object> {
    const { tagid, next_openid } = parse(z.object({ tagid: tagId, next_openid: z.string().optional() }), body);
    this.known(tagid, await this.all());
    return page(await this.memberIds(tagid), next_openid, this.pageSize);
  }

  /** The OpenIDs of the followers who have the tag, in order (mass messages by tag too). */
  async memberIds(id: number): Promise<string[]> {
    return (await this.followers.notes.list())
      .filter(({ value }) => value.tagIds.includes(id))
      .map(({ key }) => key)
      .sort();
  }

  /** The tag with this id; 45159 for none. */
  known(id: number, tags: Tag[]): Tag {
    const tag = tags.find((t) => t.id === id);
    if (!tag) throw new PlatformError(45159, `no tag has id ${id}`);
    return tag;
  }

  private checkName(name: string, tags: Tag[]): void {
    if (Buffer.byteLength(name) > TAG_LIMITS.nameBytes) throw new PlatformError(45158, `a tag name is at most ${TAG_LIMITS.nameBytes} bytes (10 Chinese characters)`);
    if (tags.some((t) => t.name === name)) throw new PlatformError(45157, `a tag is named "${name}" already`);
  }

  private async changeMembers(body: Record<string, unknown>, change: (tagIds: number[], id: number, openId: string) => number[]): Promise<void> {
    const { openid_list, tagid } = parse(membersBody, body);
    if (openid_list.length > TAG_LIMITS.openIdsPerCall) throw new PlatformError(40032, `at most ${TAG_LIMITS.openIdsPerCall} openids a call`);
    await this.followers.withNotesLock(async () => {
      this.known(tagid, await this.all());
      const openIds = [...new Set(openid_list)];
      const followers = await Promise.all(openIds.map((openId) => this.list.subscribed(openId)));
      const missing = openIds.find((_, i) => !followers[i]);
      if (missing) throw new PlatformError(40003, `${missing} does not follow the account`);
      // Every change is worked out before the first is written: a refusal changes nothing.
      const notes = await Promise.all(openIds.map(async (openId) => (await this.followers.notes.get(openId)) ?? { tagIds: [] }));
      const changed = notes.map((n, i) => ({ ...n, tagIds: change(n.tagIds, tagid, openIds[i]!) }));
      for (const [i, openId] of openIds.entries()) await this.followers.notes.put(openId, changed[i]!);
    });
  }
}
