// Between the platform's XML messages and this project's Inbound / Outbound messages, both ways.
import { createHash } from 'node:crypto';
import type { Article, Inbound, Outbound } from '../contract.ts';
import { AppError } from '../core/errors.ts';
import { mediaUrl } from '../media.ts';
import { byteLength, MAX_TEXT_BYTES, splitIntoPages } from '../bot/paging.ts';
import { isValidId } from '../core/validation.ts';
import type { ScanTurn } from '../core/chat-service.ts';
import { eventKeyOf } from '../platform/qr-codes.ts';
import { buildWechatXml, cdata, field, parseWechatXml, xmlText, type WechatFields } from './xml.ts';

/** What a message from the platform asks of the bot. */
export type PlatformMessage = {
  openId: string;
  accountId: string;
  /** A key that is the same for WeChat's retries of one message (per sender): MsgId, or for events CreateTime. */
  retryKey: string;
  /** Whether the user sent it (as opposed to an event), which limits a news reply to one card. */
  userSent: boolean;
} & (
  | { kind: 'inbound'; inbound: Inbound }
  /** A message type the bot cannot read (voice, video, location, link): answered with a polite text. */
  | { kind: 'unsupported'; msgType: string }
  /** An event with nothing for the bot in it (LOCATION, TEMPLATESENDJOBFINISH, scans…): answered `success`. */
  | { kind: 'ignored'; event: string }
);

const required = (fields: WechatFields, name: string): string => {
  const value = field(fields, name)?.trim();
  if (!value) throw new AppError('bad_request', `${name}: missing`);
  return value;
};

/** A nested element such as <Image> as fields; an empty object when it is missing. */
const child = (fields: WechatFields, name: string): WechatFields => {
  const value = fields[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as WechatFields) : {};
};

/** Reads a message the platform posted. */
export function readPlatformMessage(xml: string): PlatformMessage {
  const fields = parseWechatXml(xml);
  const openId = required(fields, 'FromUserName');
  const accountId = required(fields, 'ToUserName');
  const createTime = required(fields, 'CreateTime');
  const msgType = required(fields, 'MsgType').toLowerCase();
  const base = { openId, accountId };
  if (msgType === 'event') {
    const event = required(fields, 'Event').toLowerCase();
    // Events have no MsgId: sender and CreateTime identify a retry; the event and key keep two taps apart.
    const eventKey = field(fields, 'EventKey') ?? '';
    const digest = createHash('sha1').update(`${createTime}\n${event}\n${eventKey}`).digest('hex').slice(0, 40);
    const retry = { ...base, retryKey: `ev_${digest}`, userSent: false };
    if (event === 'subscribe' || event === 'unsubscribe') return { ...retry, kind: 'inbound', inbound: { type: 'event', event } };
    if (event === 'click') return { ...retry, kind: 'inbound', inbound: { type: 'event', event: 'click', key: required(fields, 'EventKey') } };
    if (event === 'view') return { ...retry, kind: 'inbound', inbound: { type: 'event', event: 'view', url: required(fields, 'EventKey') } };
    return { ...retry, kind: 'ignored', event };
  }
  const retryKey = `msg_${field(fields, 'MsgId') ?? createTime}`;
  const sent = { ...base, retryKey, userSent: true };
  if (msgType === 'text') {
    const optionId = field(fields, 'bizmsgmenuid')?.trim();
    return { ...sent, kind: 'inbound', inbound: { type: 'text', text: field(fields, 'Content') ?? '', ...(optionId ? { optionId } : {}) } };
  }
  if (msgType === 'image') {
    const mediaId = field(fields, 'MediaId')?.trim();
    return { ...sent, kind: 'inbound', inbound: { type: 'image', url: required(fields, 'PicUrl'), ...(mediaId ? { mediaId } : {}) } };
  }
  if (msgType === 'location') {
    const latitude = Number(field(fields, 'Location_X'));
    const longitude = Number(field(fields, 'Location_Y'));
    const scale = Number(field(fields, 'Scale'));
    const label = field(fields, 'Label')?.trim();
    if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
      return { ...sent, kind: 'inbound', inbound: { type: 'location', latitude, longitude, ...(Number.isInteger(scale) && scale > 0 ? { scale } : {}), ...(label ? { label } : {}) } };
    }
  }
  // A link the chat could not show (the platform's own examples have Url "url") is answered as unsupported.
  if (msgType === 'link' && /^https?:\/\//i.test(field(fields, 'Url')?.trim() ?? '')) {
    const description = field(fields, 'Description')?.trim();
    return { ...sent, kind: 'inbound', inbound: { type: 'link', title: required(fields, 'Title'), url: required(fields, 'Url'), ...(description ? { description } : {}) } };
  }
  return { ...sent, kind: 'unsupported', msgType };
}

/** Cuts text to WeChat's limit for one message, at a sentence where it can. */
function fitText(text: string): string {
  if (byteLength(text) <= MAX_TEXT_BYTES) return text;
  return `${splitIntoPages(text, MAX_TEXT_BYTES - 4)[0]}…`;
}

const absolute = (url: string, baseUrl: string) => new URL(url, baseUrl).href;

/** What a passive reply cannot carry (template cards, options, media without a MediaId), as text. */
function asText(reply: Outbound, baseUrl: string): string {
  switch (reply.type) {
    case 'text':
      return reply.text;
    case 'image':
    case 'voice':
    case 'video':
      return `${'title' in reply && reply.title ? reply.title : `[${reply.type}]`} ${absolute(reply.url, baseUrl)}`;
    case 'template':
      return [reply.title ?? reply.templateId, ...Object.entries(reply.data).map(([k, v]) => `${k}: ${v.value}`), ...(reply.url ? [absolute(reply.url, baseUrl)] : [])].join('\n');
    case 'options':
      return [reply.head, ...reply.items.map((item) => item.text), reply.tail].filter(Boolean).join('\n');
    case 'news':
      return reply.articles.map((a) => a.title).join('\n');
  }
}

/** The passive reply for one bot message; `success` when there is nothing to say. */
export function passiveReplyXml(
  reply: Outbound | undefined,
  to: { openId: string; accountId: string; maxCards: number; baseUrl: string; now: Date },
): string {
  if (!reply) return 'success';
  const head = { ToUserName: cdata(to.openId), FromUserName: cdata(to.accountId), CreateTime: Math.floor(to.now.getTime() / 1000) };
  if (reply.type === 'news') {
    const cards = reply.articles.slice(0, to.maxCards);
    return buildWechatXml({
      ...head,
      MsgType: cdata('news'),
      ArticleCount: cards.length,
      Articles: {
        item: cards.map((a) => ({
          Title: cdata(a.title),
          Description: cdata(a.description),
          PicUrl: cdata(a.picUrl ? absolute(a.picUrl, to.baseUrl) : ''),
          Url: cdata(absolute(a.url, to.baseUrl)),
        })),
      },
    });
  }
  if (reply.type === 'image' && reply.mediaId) return buildWechatXml({ ...head, MsgType: cdata('image'), Image: { MediaId: cdata(reply.mediaId) } });
  if (reply.type === 'voice' && reply.mediaId) return buildWechatXml({ ...head, MsgType: cdata('voice'), Voice: { MediaId: cdata(reply.mediaId) } });
  if (reply.type === 'video' && reply.mediaId) {
    const video = { MediaId: cdata(reply.mediaId), Title: cdata(reply.title ?? ''), Description: cdata(reply.description ?? '') };
    return buildWechatXml({ ...head, MsgType: cdata('video'), Video: video });
  }
  // An empty Content is the platform's failure notice: nothing to say is `success` instead.
  const text = fitText(xmlText(asText(reply, to.baseUrl)));
  if (!text.trim()) return 'success';
  return buildWechatXml({ ...head, MsgType: cdata('text'), Content: cdata(text) });
}

/** A message as the platform would post it to an official-account server; `baseUrl` makes picture links absolute. */
export function platformRequestXml(inbound: Inbound, ids: { openId: string; accountId: string; createTime: number; msgId: string; baseUrl?: string }, scan?: ScanTurn): string {
  const head = { ToUserName: cdata(ids.accountId), FromUserName: cdata(ids.openId), CreateTime: ids.createTime };
  if (inbound.type === 'event' && inbound.event === 'scan') {
    if (!scan) throw new Error('A scan is pushed with its scene.');
    // Not following: the scan is the follow, its scene prefixed qrscene_; following: SCAN with the bare scene.
    const [event, key] = scan.subscribes ? ['subscribe', `qrscene_${eventKeyOf(scan.scene)}`] : ['SCAN', eventKeyOf(scan.scene)];
    return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata(event), EventKey: cdata(key), Ticket: cdata(scan.ticket) });
  }
  if (inbound.type === 'text') {
    const option: Record<string, ReturnType<typeof cdata>> = inbound.optionId ? { bizmsgmenuid: cdata(inbound.optionId) } : {};
    return buildWechatXml({ ...head, MsgType: cdata('text'), Content: cdata(inbound.text), MsgId: ids.msgId, ...option });
  }
  if (inbound.type === 'image') {
    const picUrl = ids.baseUrl ? absolute(inbound.url, ids.baseUrl) : inbound.url;
    return buildWechatXml({ ...head, MsgType: cdata('image'), PicUrl: cdata(picUrl), MediaId: cdata(inbound.mediaId ?? ''), MsgId: ids.msgId });
  }
  if (inbound.type === 'location') {
    // Location_X is the latitude, Location_Y the longitude, as the platform names them.
    const fields = { Location_X: inbound.latitude, Location_Y: inbound.longitude, Scale: inbound.scale ?? 15, Label: cdata(inbound.label ?? '') };
    return buildWechatXml({ ...head, MsgType: cdata('location'), ...fields, MsgId: ids.msgId });
  }
  if (inbound.type === 'link') {
    return buildWechatXml({ ...head, MsgType: cdata('link'), Title: cdata(inbound.title), Description: cdata(inbound.description ?? ''), Url: cdata(inbound.url), MsgId: ids.msgId });
  }
  if (inbound.event === 'view') {
    return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata('VIEW'), EventKey: cdata(inbound.url) });
  }
  if (inbound.event === 'click') {
    return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata('CLICK'), EventKey: cdata(inbound.key) });
  }
  return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata(inbound.event) });
}

/** The media a passive reply names: its MediaId must be one (the platform's ids are [A-Za-z0-9_-]). */
function mediaIn(fields: WechatFields, element: string): { mediaId: string; url: string } {
  const mediaId = field(child(fields, element), 'MediaId')?.trim();
  if (!mediaId || !isValidId(mediaId)) throw new AppError('bad_request', `<${element}><MediaId> is missing or not a media id.`);
  return { mediaId, url: mediaUrl(mediaId) };
}

/** The bot messages in a server's passive reply; an empty body or `success` says nothing; unusable replies throw. */
export function repliesFromXml(body: string): Outbound[] {
  const text = body.trim();
  if (text === '' || text === 'success') return [];
  const fields = parseWechatXml(text);
  const msgType = (field(fields, 'MsgType') ?? '').toLowerCase();
  switch (msgType) {
    case '':
      throw new AppError('bad_request', 'The reply has no MsgType.');
    case 'text': {
      const content = field(fields, 'Content') ?? '';
      if (!content.trim()) throw new AppError('bad_request', 'An empty Content: WeChat shows users its failure notice.');
      // WeChat does not cut a passive reply: one over its limit is not shown, so it is an unusable reply here too.
      if (byteLength(content) > MAX_TEXT_BYTES) throw new AppError('too_long', `A Content of ${byteLength(content)} bytes: WeChat takes ${MAX_TEXT_BYTES} at most.`);
      return [{ type: 'text', text: content }];
    }
    case 'news': {
      const items = ((fields.Articles as { item?: unknown } | undefined)?.item ?? []) as WechatFields[];
      const articles: Article[] = items.slice(0, 8).map((item) => {
        const picUrl = field(item, 'PicUrl');
        return { title: field(item, 'Title') ?? '', description: field(item, 'Description') ?? '', url: field(item, 'Url') ?? '', ...(picUrl ? { picUrl } : {}) };
      });
      if (articles.length === 0) throw new AppError('bad_request', 'A news reply without articles.');
      return [{ type: 'news', articles }];
    }
    case 'image':
      return [{ type: 'image', ...mediaIn(fields, 'Image') }];
    case 'voice':
      return [{ type: 'voice', ...mediaIn(fields, 'Voice') }];
    case 'video': {
      const video = child(fields, 'Video');
      const title = field(video, 'Title') || undefined;
      const description = field(video, 'Description') || undefined;
      return [{ type: 'video', ...mediaIn(fields, 'Video'), ...(title ? { title } : {}), ...(description ? { description } : {}) }];
    }
    case 'music': {
      // Music plays like a voice message with a title; the high-quality link is what Wi-Fi users get.
      const music = child(fields, 'Music');
      const url = field(music, 'HQMusicUrl')?.trim() || field(music, 'MusicUrl')?.trim();
      if (!url || !/^https?:\/\//i.test(url)) throw new AppError('bad_request', 'A music reply without an http(s) MusicUrl.');
      const title = field(music, 'Title') || undefined;
      const description = field(music, 'Description') || undefined;
      return [{ type: 'voice', url, ...(title ? { title } : {}), ...(description ? { description } : {}) }];
    }
    case 'transfer_customer_service':
      // Handed to a human agent: the platform shows nothing, and the agent's messages come later.
      return [];
    default:
      return [{ type: 'text', text: `[${msgType} message]` }];
  }
}
