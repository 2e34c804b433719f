// Customer-service messages (message/custom/send, message/custom/typing): what the server under test may
// send a user, when, and how many. The rules follow the platform's current service-account page: within
// 48 hours of the user's last message or counted event, at most 5 messages per message and 3 per event.
import { z } from 'zod';
import { byteLength, MAX_TEXT_BYTES } from '../bot/paging.ts';
import type { Outbound } from '../contract.ts';
import type { ChatService, TurnState } from '../core/chat-service.ts';
import { TYPING_MAX_MS } from '../limits.ts';
import { mediaUrl } from '../media.ts';
import { describeIssues } from '../core/validation.ts';
import { PlatformError } from './errors.ts';
import type { MediaLibrary } from './media.ts';
import type { Follower, InteractionWindow } from '../store/chat-store.ts';
import { followerOf, type Followers, type KnownUser } from './users.ts';

export const WINDOW_MS = 48 * 3600 * 1000;
/** Customer-service messages allowed per user message, and per follow or menu click. */
export const QUOTA: Record<InteractionWindow['kind'], number> = { message: 5, event: 3 };
/** The path stored in a delivered message's trace. */
export const CUSTOM_SEND = 'message/custom/send';

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
  /**
   * message/custom/send: checks the user, the window and the quota, then shows the message in the chat. It is
   * stored (the quota counted with it) before this resolves, also while the user's push is being answered.
   */
  async send(body: unknown): Promise<void> {
    const { touser, msgtype } = parse(bodySchema, body, 'body');
    if (!Object.hasOwn(contentSchemas, msgtype)) throw new PlatformError(40008, `msgtype must be one of ${Object.keys(contentSchemas).join(', ')}`);
    const user = await this.followers.find(touser);
    const outbound = await this.outbound(msgtype as MsgType, (body as Record<string, unknown>)[msgtype]);
    this.stopTyping(user.userId);
    await this.service.deliver(user.userId, [outbound], { trace: { api: { path: CUSTOM_SEND, body } }, check: (state) => this.counted(user, state) });
  }

  /** message/custom/typing: the typing indicator, off again after typingMs or with the next message. */
  async typing(body: unknown): Promise<void> {
    const { touser, command } = parse(z.object({ touser: text, command: z.enum(['Typing', 'CancelTyping'], { error: 'must be Typing or CancelTyping' }) }), body, 'body');
    const user = await this.followers.find(touser);
    if (command === 'CancelTyping') return this.stopTyping(user.userId);
    this.open(user, await this.service.deliveryState(user.userId));
    this.stopTyping(user.userId);
    this.service.typing(user.userId, true);
    const timer = setTimeout(() => this.stopTyping(user.userId), this.typingMs);
    timer.unref();
    this.typingTimers.set(user.userId, timer);
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
   * The window the user's last interaction opened (their last message or click, or their follow), or 45015:
   * past 48 hours, or once they unfollowed.
   */
  private open(user: KnownUser, state: TurnState): InteractionWindow {
    const follower: Follower | undefined = followerOf(user, state);
    if (!follower?.subscribed) throw new PlatformError(45015, 'the user has unfollowed the account');
    // A user an earlier version stored has no window yet: it opened with their follow.
    const window = state.window ?? { kind: 'event', at: follower.subscribeTime * 1000, sent: 0 };
    if (this.now() - window.at > WINDOW_MS) throw new PlatformError(45015, 'the user has not written or clicked in the last 48 hours');
    return window;
  }

  /** The window counting one more customer-service message, or 45015 (see open), or 45047 past the quota. */
  private counted(user: KnownUser, state: TurnState): InteractionWindow {
    const window = this.open(user, state);
    if (window.sent >= QUOTA[window.kind]) throw quotaError(window.kind);
    return { ...window, sent: window.sent + 1 };
  }
}

const quotaError = (kind: InteractionWindow['kind']) =>
  new PlatformError(45047, `at most ${QUOTA[kind]} customer-service messages per user ${kind === 'message' ? 'message' : 'follow or menu click'}`);
