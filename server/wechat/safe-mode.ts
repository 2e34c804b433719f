// Safe mode's envelopes, both ways: a push is <xml><ToUserName/><Encrypt/></xml> signed in the query with
// msg_signature; a reply is <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml> signed inside.
import { randomBytes } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { decryptXml, DecryptError, encryptXml, isMsgSigned, msgSignature } from './crypto.ts';
import { buildWechatXml, cdata, field, parseWechatXml } from './xml.ts';

/** An account's safe-mode settings: the token it signs with, its EncodingAESKey and appid. */
export type SafeModeKeys = { token: string; aesKey: string; appId: string };

/** Whether the platform sent this push encrypted (safe or compatible mode). */
export const isEncryptedPush = (query: Record<string, unknown>) => typeof query.encrypt_type === 'string' && query.encrypt_type.toLowerCase() === 'aes';

/**
 * The message inside an encrypted push to /wechat: msg_signature checked (401 when forged), `Encrypt`
 * decrypted (400 when it does not), and the appid it ends with checked (401 when it is another account's).
 * In compatible mode the plain fields beside `Encrypt` are ignored: the encrypted copy is the signed one.
 */
export function openPush(query: Record<string, unknown>, body: string, keys: SafeModeKeys): string {
  const encrypted = field(parseWechatXml(body), 'Encrypt');
  if (!encrypted) throw new AppError('bad_request', 'encrypt_type=aes but the body has no <Encrypt>.');
  if (!isMsgSigned(query.msg_signature, keys.token, query.timestamp, query.nonce, encrypted)) {
    throw new AppError('unauthorized', 'msg_signature does not match the configured token and the message.');
  }
  let opened: { xml: string; appId: string };
  try {
    opened = decryptXml(encrypted, keys.aesKey);
  } catch (err) {
    throw new AppError('bad_request', `Encrypt does not decrypt with WECHAT_AES_KEY: ${(err as Error).message}`);
  }
  if (opened.appId !== keys.appId) throw new AppError('unauthorized', `The message is for appid "${opened.appId}", not WECHAT_APPID.`);
  return opened.xml;
}

/** Our passive reply, encrypted as the platform expects in safe mode (TimeStamp in seconds). */
export function sealReply(xml: string, keys: SafeModeKeys, now: Date): string {
  const encrypted = encryptXml(xml, keys.aesKey, keys.appId);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const nonce = String(randomBytes(4).readUInt32BE());
  return buildWechatXml({
    Encrypt: cdata(encrypted),
    MsgSignature: cdata(msgSignature(keys.token, timestamp, nonce, encrypted)),
    TimeStamp: timestamp,
    Nonce: cdata(nonce),
  });
}

/** A push as the platform sends it in safe mode: the body, and `Encrypt` for each attempt's msg_signature. */
export function sealPush(xml: string, keys: SafeModeKeys): { body: string; encrypted: string } {
  const encrypted = encryptXml(xml, keys.aesKey, keys.appId);
  const toUser = field(parseWechatXml(xml), 'ToUserName') ?? '';
  return { body: buildWechatXml({ ToUserName: cdata(toUser), Encrypt: cdata(encrypted) }), encrypted };
}

/**
 * The plain XML inside a target's encrypted reply, or an Error saying why it is unusable. TimeStamp is
 * only signed over, never read as a time, so node-webot's milliseconds pass like seconds do.
 */
export function openReply(body: string, keys: SafeModeKeys): string {
  const fields = parseWechatXml(body);
  const encrypted = field(fields, 'Encrypt');
  if (!encrypted) throw new Error('a plain reply to a safe-mode push: safe mode needs <Encrypt>');
  const timestamp = field(fields, 'TimeStamp');
  const nonce = field(fields, 'Nonce');
  if (!timestamp || !nonce) throw new Error('the encrypted reply lacks TimeStamp or Nonce');
  if (!isMsgSigned(field(fields, 'MsgSignature'), keys.token, timestamp, nonce, encrypted)) {
    throw new Error('MsgSignature does not match the token, TimeStamp, Nonce and Encrypt');
  }
  let opened: { xml: string; appId: string };
  try {
    opened = decryptXml(encrypted, keys.aesKey);
  } catch (err) {
    throw err instanceof DecryptError ? new Error(`Encrypt does not decrypt: ${err.message}`) : err;
  }
  if (opened.appId !== keys.appId) throw new Error(`the reply is encrypted for appid "${opened.appId}", not "${keys.appId}"`);
  return opened.xml;
}
