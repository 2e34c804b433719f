// Helpers for the WeChat protocol tests: signed URLs and the platform's message shapes.
import { randomBytes } from 'node:crypto';
import { sign } from '../server/wechat/signature.ts';

/** `${base}/wechat?signature=…&timestamp=…&nonce=…` signed with `token`. */
export function signedUrl(base: string, token: string, extra: Record<string, string> = {}): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(5).toString('hex');
  return `${base}/wechat?${new URLSearchParams({ signature: sign(token, timestamp, nonce), timestamp, nonce, ...extra })}`;
}

/** A text message as the platform documents it. */
export const textXml = (from: string, content: string, msgId: string, createTime = 1348831860) => `<xml>
  <ToUserName><![CDATA[gh_account]]></ToUserName>
  <FromUserName><![CDATA[${from}]]></FromUserName>
  <CreateTime>${createTime}</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[${content}]]></Content>
  <MsgId>${msgId}</MsgId>
  <MsgDataId>xxxx</MsgDataId>
  <Idx>xxxx</Idx>
</xml>`;

/** An event as the platform documents it (subscribe, unsubscribe, CLICK and VIEW with EventKey). */
export const eventXml = (from: string, event: string, createTime: number, eventKey?: string) =>
  `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${eventKey === undefined ? '' : `<EventKey><![CDATA[${eventKey}]]></EventKey>`}</xml>`;

export async function post(url: string, body: string, contentType = 'text/xml'): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, text: await res.text() };
}
