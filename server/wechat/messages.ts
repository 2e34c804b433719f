// Between the platform's XML messages and this project's Inbound / Outbound messages, both ways.
import { createHash } from 'node:crypto';
import type { Article, Inbound, Outbound } from '../contract.ts';
import { AppError } from '../errors.ts';
import { byteLength, MAX_TEXT_BYTES, splitIntoPages } from '../bot/paging.ts';
import { buildWechatXml, cdata, field, parseWechatXml, type WechatFields } from './xml.ts';

/** What a message from the platform asks of the bot. */
export type PlatformMessage = {
  openId: string;
  accountId: string;
  /** A key that is the same for WeChat's retries of one message (per sender): MsgId, or for events CreateTime. */
  retryKey: string;
  /** Whether the user sent it (as opposed to an event), which limits a news reply to one card. */
  userSent: boolean;
} & ({ kind: 'inbound'; inbound: Inbound } | { kind: 'view' } | { kind: 'unsupported'; msgType: string });

const required = (fields: WechatFields, name: string): string => {
  const value = field(fields, name)?.trim();
  if (!value) throw new AppError('bad_request', `${name}: missing`);
  return value;
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
    if (event === 'view') return { ...retry, kind: 'view' };
    return { ...retry, kind: 'unsupported', msgType: `event ${event}` };
  }
  const retryKey = `msg_${field(fields, 'MsgId') ?? createTime}`;
  if (msgType === 'text') {
    return { ...base, retryKey, userSent: true, kind: 'inbound', inbound: { type: 'text', text: field(fields, 'Content') ?? '' } };
  }
  return { ...base, retryKey, userSent: true, kind: 'unsupported', msgType };
}

/** Cuts text to WeChat's limit for one message, at a sentence where it can. */
function fitText(text: string): string {
  if (byteLength(text) <= MAX_TEXT_BYTES) return text;
  return `${splitIntoPages(text, MAX_TEXT_BYTES - 4)[0]}…`;
}

const absolute = (url: string, baseUrl: string) => new URL(url, baseUrl).href;

/** The passive reply for one bot message; `success` when there is nothing to say. */
export function passiveReplyXml(
  reply: Outbound | undefined,
  to: { openId: string; accountId: string; maxCards: number; baseUrl: string; now: Date },
): string {
  if (!reply) return 'success';
  const head = { ToUserName: cdata(to.openId), FromUserName: cdata(to.accountId), CreateTime: Math.floor(to.now.getTime() / 1000) };
  if (reply.type === 'text') return buildWechatXml({ ...head, MsgType: cdata('text'), Content: cdata(fitText(reply.text)) });
  if (reply.type !== 'news') return buildWechatXml({ ...head, MsgType: cdata('text'), Content: cdata(`[${reply.type} message]`) });
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

/** A message as the platform would post it to an official-account server. */
export function platformRequestXml(inbound: Inbound, ids: { openId: string; accountId: string; createTime: number; msgId: string }): string {
  const head = { ToUserName: cdata(ids.accountId), FromUserName: cdata(ids.openId), CreateTime: ids.createTime };
  if (inbound.type === 'text') {
    return buildWechatXml({ ...head, MsgType: cdata('text'), Content: cdata(inbound.text), MsgId: ids.msgId });
  }
  if (inbound.type === 'image') {
    return buildWechatXml({ ...head, MsgType: cdata('image'), PicUrl: cdata(inbound.url), MediaId: cdata(inbound.mediaId ?? ''), MsgId: ids.msgId });
  }
  if (inbound.event === 'view') {
    return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata('VIEW'), EventKey: cdata(inbound.url) });
  }
  if (inbound.event === 'click') {
    return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata('CLICK'), EventKey: cdata(inbound.key) });
  }
  return buildWechatXml({ ...head, MsgType: cdata('event'), Event: cdata(inbound.event) });
}

/** The bot messages in a server's passive reply; an empty body or `success` says nothing. */
export function repliesFromXml(body: string): Outbound[] {
  const text = body.trim();
  if (text === '' || text === 'success') return [];
  const fields = parseWechatXml(text);
  const msgType = (field(fields, 'MsgType') ?? '').toLowerCase();
  if (msgType === 'text') return [{ type: 'text', text: field(fields, 'Content') ?? '' }];
  if (msgType === 'news') {
    const items = ((fields.Articles as { item?: unknown } | undefined)?.item ?? []) as WechatFields[];
    const cards: Article[] = items.slice(0, 8).map((item) => {
      const picUrl = field(item, 'PicUrl');
      return { title: field(item, 'Title') ?? '', description: field(item, 'Description') ?? '', url: field(item, 'Url') ?? '', ...(picUrl ? { picUrl } : {}) };
    });
    if (cards.length === 0) throw new AppError('bad_request', 'A news reply without articles.');
    return [{ type: 'news', articles: cards }];
  }
  if (!msgType) throw new AppError('bad_request', 'The reply has no MsgType.');
  // Images, voice, music and the like need the platform's media store; show what was sent instead.
  return [{ type: 'text', text: `[${msgType} message]` }];
}
