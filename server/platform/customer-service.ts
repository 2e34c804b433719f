// Customer-service messages (message/custom/send, message/custom/typing): what the server under test may
// send a user, when, and how many. The rules follow the platform's current service-account page: within
// 48 hours of the user's last message or counted event, at most 5 messages per message and 3 per event.
import { z } from 'zod';
import { byteLength, MAX_TEXT_BYTES } from '../bot/paging.ts';
import type { Outbound, StoredMessage } from '../contract.ts';
import type { ChatService } from '../core/chat-service.ts';
import { TYPING_MAX_MS } from '../limits.ts';
import { mediaUrl } from '../media.ts';
import { describeIssues } from '../core/validation.ts';
import { PlatformError } from './errors.ts';
import type { MediaLibrary } from './media.ts';
import { interactionKind, type Follower, type Followers, type Interaction } from './users.ts';

export const WINDOW_MS = 48 * 3600 * 1000;
/** Customer-service messages allowed per user message, and per follow or menu click. */
export const QUOTA: Record<Interaction['kind'], number> = { message: 5, event: 3 };
/** The path stored in a delivered message's trace; how sent messages are counted against the quota. */
export const CUSTOM_SEND = 'message/custom/send';
// The most recent messages read to find the user's last interaction.
const LOOK_BACK = 200;

const text = z.string({ error: 'must be a string' });
const mediaRef = z.object({ media_id: text });
const bodySchema = z.object({ touser: text, msgtype: text });
const contentSchemas = {
  text: z.object({ content: text.min(1, { error: 'must not be empty' }) }),
  image: mediaRef,
  voice: mediaRef,
  video: mediaRef.extend({ thumb_media_id: text.optional(), title: text.optional(), description: text.optional() }),
  news: z.object({
    articles: z.array(z.object({ title: text, description: text.optional(), url: text.optional(), picurl: text.optional() })).min(1),
  }),
  msgmenu: z.object({
    head_content: text.optional(),
    list: z.array(z.object({ id: z.union([text, z.number()]).transform(String), content: text })).min(1),
    tail_content: text.optional(),
  }),
} as const;
type MsgType = keyof typeof contentSchemas;

function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new PlatformError(47001, `${where}: ${describeIssues(result.error)}`);
  return result.data;
}

export class CustomerService {
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly service: ChatService,
    private readonly followers: Followers,
    private readonly media: MediaLibrary,
    private readonly now: () => number,
    /** How long a Typing lasts unless cancelled (TYPING_MAX_MS). */
    private readonly typingMs = TYPING_MAX_MS,
  ) {}

  /** message/custom/send: checks the user, the window and the quota, then shows the message in the chat. */
  async send(body: unknown, onLateFailure: (err: unknown) => void): Promise<void> {
    const { touser, msgtype } = parse(bodySchema, body, 'body');
    if (!Object.hasOwn(contentSchemas, msgtype)) throw new PlatformError(40008, `msgtype must be one of ${Object.keys(contentSchemas).join(', ')}`);
    const follower = await this.followers.get(touser);
    const outbound = await this.outbound(msgtype as MsgType, (body as Record<string, unknown>)[msgtype]);
    const interaction = await this.window(follower);
    this.stopTyping(follower.userId);
    const delivery = this.service.deliver(follower.userId, [outbound], { api: { path: CUSTOM_SEND, body } });
    if (interaction.answering) {
      // The server under test is still handling this user's push, and that turn stores its messages first:
      // waiting for it here would hold the push's answer hostage. The platform answers at once too.
      delivery.catch(onLateFailure);
      return;
    }
    await delivery;
  }

  /** message/custom/typing: the typing indicator, off again after typingMs or with the next message. */
  async typing(body: unknown): Promise<void> {
    const { touser, command } = parse(z.object({ touser: text, command: z.enum(['Typing', 'CancelTyping'], { error: 'must be Typing or CancelTyping' }) }), body, 'body');
    const follower = await this.followers.get(touser);
    if (command === 'CancelTyping') return this.stopTyping(follower.userId);
    await this.window(follower);
    this.stopTyping(follower.userId);
    this.service.typing(follower.userId, true);
    const timer = setTimeout(() => this.stopTyping(follower.userId), this.typingMs);
    timer.unref();
    this.typingTimers.set(follower.userId, timer);
  }

  /** Clears every typing timer (the server is closing). */
  close(): void {
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
  }

  private stopTyping(userId: string): void {
    const timer = this.typingTimers.get(userId);
    if (!timer) return;
    clearTimeout(timer);
    this.typingTimers.delete(userId);
    this.service.typing(userId, false);
  }

  private async outbound(msgtype: MsgType, raw: unknown): Promise<Outbound> {
    switch (msgtype) {
      case 'text': {
        const { content } = parse(contentSchemas.text, raw, 'text');
        // The platform refuses longer text rather than cutting it: the sender learns, the user sees nothing.
        if (byteLength(content) > MAX_TEXT_BYTES) throw new PlatformError(45002, `text.content is ${byteLength(content)} bytes; at most ${MAX_TEXT_BYTES}`);
        return { type: 'text', text: content };
      }
      case 'image':
      case 'voice': {
        const { media_id } = parse(contentSchemas[msgtype], raw, msgtype);
        await this.media.get(media_id, [msgtype]);
        return { type: msgtype, url: mediaUrl(media_id), mediaId: media_id };
      }
      case 'video': {
        const video = parse(contentSchemas.video, raw, 'video');
        await this.media.get(video.media_id, ['video']);
        return { type: 'video', url: mediaUrl(video.media_id), mediaId: video.media_id, title: video.title, description: video.description };
      }
      case 'news': {
        const { articles } = parse(contentSchemas.news, raw, 'news');
        if (articles.length > 1) throw new PlatformError(45008, 'a customer-service news message carries 1 article');
        const [a] = articles;
        return { type: 'news', articles: [{ title: a!.title, description: a!.description ?? '', url: a!.url ?? '', picUrl: a!.picurl }] };
      }
      case 'msgmenu': {
        const menu = parse(contentSchemas.msgmenu, raw, 'msgmenu');
        return { type: 'options', head: menu.head_content, items: menu.list.map((item) => ({ id: item.id, text: item.content })), tail: menu.tail_content };
      }
    }
  }

  /**
   * 45015 outside 48 hours of the user's last interaction (or once they unfollowed), 45047 past the quota.
   * The interaction is the turn being answered, the user's last message or click, or their follow (which the
   * history does not hold: a first connection stores only the welcome).
   */
  private async window(follower: Follower): Promise<{ answering: boolean }> {
    if (!follower.subscribed) throw new PlatformError(45015, 'the user has unfollowed the account');
    const current = this.followers.inProgress(follower.userId);
    if (current) {
      if (current.sent >= QUOTA[current.kind]) throw quotaError(current.kind);
      current.sent++;
      return { answering: true };
    }
    const history = (await this.service.history(follower.userId, { limit: LOOK_BACK })) ?? [];
    const last = lastInteraction(history);
    const followedAt = follower.subscribeTime * 1000;
    const since = last && Date.parse(last.message.createdAt) >= followedAt ? { at: Date.parse(last.message.createdAt), kind: last.kind } : { at: followedAt, kind: 'event' as const };
    if (this.now() - since.at > WINDOW_MS) throw new PlatformError(45015, 'the user has not written or clicked in the last 48 hours');
    const sent = history.filter((m) => Date.parse(m.createdAt) >= since.at && isCustomerServiceMessage(m)).length;
    if (sent >= QUOTA[since.kind]) throw quotaError(since.kind);
    return { answering: false };
  }
}

const quotaError = (kind: Interaction['kind']) =>
  new PlatformError(45047, `at most ${QUOTA[kind]} customer-service messages per user ${kind === 'message' ? 'message' : 'follow or menu click'}`);

const isCustomerServiceMessage = (m: StoredMessage) => (m.trace as { api?: { path?: string } } | undefined)?.api?.path === CUSTOM_SEND;

function lastInteraction(history: StoredMessage[]): { message: StoredMessage; kind: Interaction['kind'] } | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i]!;
    if (message.from !== 'user') continue;
    const kind = interactionKind(message as Parameters<typeof interactionKind>[0]);
    if (kind) return { message, kind };
  }
  return undefined;
}
