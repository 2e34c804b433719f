// Mass messages (message/mass/sendall, send, preview, get, delete): a job addressed to every follower, a tag's
// followers or an OpenID list; each follower's chat gets the message through the service's deliver (open windows
// live, the others in their history), then the server under test gets MASSSENDJOBFINISH with the counts. The
// jobs themselves, stored and resumable, are mass-jobs.ts's; any process answers mass/get.
import { z } from 'zod';
import { byteLength, MAX_TEXT_BYTES } from '../bot/paging.ts';
import type { Outbound } from '../contract.ts';
import type { ChatService } from '../core/chat-service.ts';
import { processIds, type Ids } from '../core/ids.ts';
import { describeIssues } from '../core/validation.ts';
import type { Logger } from '../logger.ts';
import { mediaUrl } from '../media.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { openIdOf, pushToTarget, type TargetOptions } from '../wechat/remote-bot.ts';
import { buildWechatXml, cdata } from '../wechat/xml.ts';
import { PlatformError } from './errors.ts';
import { inBatches, type FollowerList, type Subscribed } from './follower-list.ts';
import { MassJobs, type MassCounts, type MassJob, type MassJobOptions, type MassMsgType } from './mass-jobs.ts';
import type { MassNews } from './mass-news.ts';
import type { MediaLibrary } from './media.ts';
import type { Tags } from './tags.ts';

/** mass/send takes 2 to 10 000 OpenIDs. */
export const MASS_LIMITS = { minOpenIds: 2, maxOpenIds: 10_000 } as const;
const MSG_TYPES: readonly MassMsgType[] = ['text', 'image', 'voice', 'mpnews'];
// Who the platform says MASSSENDJOBFINISH is from.
const MASS_HELPER = 'mphelper';

const text = z.string({ error: 'must be a string' });
const contentSchemas = {
  text: z.object({ content: text.min(1, { error: 'must not be empty' }) }),
  image: z.object({ media_id: text }),
  voice: z.object({ media_id: text }),
  mpnews: z.object({ media_id: text }),
} as const;

function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new PlatformError(47001, `${where}: ${describeIssues(result.error)}`);
  return result.data;
}

export type MassParts = { store: ChatStore; service: ChatService; followerList: FollowerList; tags: Tags; media: MediaLibrary; news: MassNews; logger: Logger; now: () => number; ids?: Ids };

export class MassMessages {
  private readonly jobs: MassJobs;
  private readonly ids: Ids;

  constructor(
    private readonly parts: MassParts,
    private readonly target: TargetOptions | undefined,
    private readonly accountId: string,
    jobOptions: MassJobOptions = {},
  ) {
    this.jobs = new MassJobs(parts, (job, counts) => this.pushFinished(job, counts), jobOptions);
    this.ids = parts.ids ?? processIds;
  }

  /** POST message/mass/sendall { filter: { is_to_all, tag_id }, msgtype, … } */
  async sendAll(body: Record<string, unknown>): Promise<object> {
    const parsed = parse(z.object({ filter: z.object({ is_to_all: z.boolean().optional(), tag_id: z.number().int().optional(), group_id: z.number().int().optional() }) }), body, 'body');
    // group_id is the name from before tags (2016), which wechat-api still sends.
    const filter = { is_to_all: parsed.filter.is_to_all, tag_id: parsed.filter.tag_id ?? parsed.filter.group_id };
    const outbound = await this.outbound(body);
    let addressed: Subscribed[];
    if (filter.is_to_all) addressed = await this.parts.followerList.everyone();
    else {
      if (filter.tag_id === undefined) throw new PlatformError(47001, 'filter: give is_to_all: true or a tag_id');
      this.parts.tags.known(filter.tag_id, await this.parts.tags.all());
      const members = await this.parts.tags.memberIds(filter.tag_id);
      addressed = (await inBatches(members, (openId) => this.parts.followerList.subscribed(openId))).filter((f): f is Subscribed => f !== undefined);
    }
    if (addressed.length === 0) throw new PlatformError(40130, filter.is_to_all ? 'the account has no followers' : 'no follower has this tag');
    return this.start(outbound, addressed, addressed.length, 'message/mass/sendall');
  }

  /** POST message/mass/send { touser: [openid…], msgtype, … }: 2 to 10 000 OpenIDs, each known; those who unfollowed are filtered out. */
  async send(body: Record<string, unknown>): Promise<object> {
    const { touser } = parse(z.object({ touser: z.array(text) }), body, 'body');
    const openIds = [...new Set(touser)];
    if (openIds.length < MASS_LIMITS.minOpenIds || openIds.length > MASS_LIMITS.maxOpenIds) throw new PlatformError(40130, `touser takes ${MASS_LIMITS.minOpenIds} to ${MASS_LIMITS.maxOpenIds} openids`);
    const outbound = await this.outbound(body);
    const found = await inBatches(openIds, (openId) => this.parts.followerList.subscribed(openId));
    return this.start(outbound, found.filter((f): f is Subscribed => f !== undefined), openIds.length, 'message/mass/send');
  }

  /** POST message/mass/preview { touser | towxname, msgtype, … }: one follower's chat, at once; no job, no event. `towxname` is the simulator's user id. */
  async preview(body: Record<string, unknown>): Promise<object> {
    const { touser, towxname } = parse(z.object({ touser: text.optional(), towxname: text.optional() }), body, 'body');
    if (!touser && !towxname) throw new PlatformError(47001, 'give touser (an openid) or towxname');
    const { outbound } = await this.outbound(body);
    const found = await this.parts.followerList.subscribed(touser ?? openIdOf(towxname!));
    if (!found) throw new PlatformError(43004, 'the user does not follow the account');
    await this.parts.service.deliver(found.userId, [outbound], { trace: { api: { path: 'message/mass/preview' } } });
    return { errcode: 0, errmsg: 'preview success', msg_id: this.ids.msgId(this.parts.now()) };
  }

  /** POST message/mass/get { msg_id } → { msg_id, msg_status } */
  async get(body: Record<string, unknown>): Promise<object> {
    const job = await this.job(body);
    return { msg_id: Number(job.msgId), msg_status: job.status };
  }

  /** POST message/mass/delete { msg_id }: the job shows DELETE (the chats keep what they showed, as a deleted article's page goes). */
  async delete(body: Record<string, unknown>): Promise<void> {
    const job = await this.job(body);
    await this.jobs.put({ ...job, status: 'DELETE' });
  }

  /** Start-up: takes up the jobs a stopped process left unfinished, now and as processes sharing the store stop. */
  open(): void {
    this.jobs.open();
  }

  /** Takes up no more jobs, and resolves once every job this process runs has delivered and pushed its event. */
  finish(): Promise<void> {
    return this.jobs.stop();
  }

  private async job(body: Record<string, unknown>): Promise<MassJob> {
    const { msg_id } = parse(z.object({ msg_id: z.union([z.number(), text]) }), body, 'body');
    const job = await this.jobs.get(String(msg_id));
    if (!job) throw new PlatformError(40097, `no mass message has msg_id ${msg_id}`);
    return job;
  }

  /** The message the body names (text, image, voice, mpnews), checked before anything is sent. */
  private async outbound(body: Record<string, unknown>): Promise<{ msgtype: MassMsgType; outbound: Outbound }> {
    const { msgtype } = parse(z.object({ msgtype: text }), body, 'body');
    if (!(MSG_TYPES as readonly string[]).includes(msgtype)) throw new PlatformError(40008, `msgtype must be one of ${MSG_TYPES.join(', ')}`);
    const type = msgtype as MassMsgType;
    const content: unknown = parse(contentSchemas[type] as z.ZodType<unknown>, body[type], type);
    if (type === 'text') {
      const { content: said } = content as { content: string };
      if (byteLength(said) > MAX_TEXT_BYTES) throw new PlatformError(45002, `text.content is ${byteLength(said)} bytes; at most ${MAX_TEXT_BYTES}`);
      return { msgtype: type, outbound: { type: 'text', text: said } };
    }
    const { media_id } = content as { media_id: string };
    if (type === 'mpnews') return { msgtype: type, outbound: { type: 'news', articles: await this.parts.news.cards(media_id) } };
    await this.parts.media.get(media_id, [type]);
    return { msgtype: type, outbound: { type, url: mediaUrl(media_id), mediaId: media_id } };
  }

  /** Stores the job, answers its ids, and delivers in the background; MASSSENDJOBFINISH follows the last delivery. */
  private async start({ msgtype, outbound }: { msgtype: MassMsgType; outbound: Outbound }, recipients: Subscribed[], total: number, path: string): Promise<object> {
    const now = this.parts.now();
    const msgId = String(this.ids.msgId(now));
    const msgDataId = msgtype === 'mpnews' ? String(this.ids.msgId(now)) : undefined;
    await this.jobs.start({ msgId, ...(msgDataId ? { msgDataId } : {}), msgtype, status: 'SENDING', createdAt: now }, outbound, recipients, total, path);
    return { errcode: 0, errmsg: 'send job submission success', msg_id: Number(msgId), ...(msgDataId ? { msg_data_id: Number(msgDataId) } : {}) };
  }

  private async pushFinished(job: MassJob, counts: MassCounts): Promise<void> {
    if (!this.target) return;
    const outcome = await pushToTarget(this.target, MASS_HELPER, this.finishedXml(job, counts), this.parts.logger);
    this.parts.logger.debug({ msgId: job.msgId, attempts: outcome.attempts.length }, 'MASSSENDJOBFINISH pushed');
  }

  private finishedXml(job: MassJob, counts: MassCounts): string {
    return buildWechatXml({
      ToUserName: cdata(this.accountId),
      FromUserName: cdata(MASS_HELPER),
      CreateTime: Math.floor(this.parts.now() / 1000),
      MsgType: cdata('event'),
      Event: cdata('MASSSENDJOBFINISH'),
      MsgID: job.msgId,
      Status: cdata('send success'),
      TotalCount: counts.total,
      FilterCount: counts.filtered,
      SentCount: counts.sent,
      ErrorCount: counts.errors,
      CopyrightCheckResult: { Count: 0, ResultList: '', CheckState: 1 },
    });
  }
}
