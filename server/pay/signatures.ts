// APIv3's signatures on the wire: the merchant's Authorization header checked (WECHATPAY2-SHA256-RSA2048), and
// the platform's Wechatpay-* headers on every answer and notification.
import { randomUUID, type KeyObject } from 'node:crypto';
import { nonceString, rsaSign, rsaVerify, signedMessage } from './pay-crypto.ts';
import { signError } from './pay-errors.ts';

/** How far a request's timestamp may be from the platform's clock. */
export const CLOCK_SKEW_SECONDS = 300;
export const SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';

/** The merchant as the simulator knows it: --mchid, --mch-serial, --mch-public-key. */
export type MerchantKey = { mchId: string; serial: string; publicKey: KeyObject };

export type SignedRequest = { method: string; pathWithQuery: string; body: string; authorization: unknown };

/** The name="value" pairs after the scheme; undefined when the header is not one. */
function authorizationParts(header: unknown): Record<string, string> | undefined {
  if (typeof header !== 'string' || !header.startsWith(`${SIGNATURE_TYPE} `)) return undefined;
  const parts: Record<string, string> = {};
  for (const match of header.slice(SIGNATURE_TYPE.length + 1).matchAll(/\s*([a-z_]+)="([^"]*)"\s*(,|$)/g)) parts[match[1]!] = match[2]!;
  return parts;
}

/** Checks a request's Authorization as the platform does; throws 401 SIGN_ERROR saying what is wrong. */
export function verifyRequest(request: SignedRequest, merchant: MerchantKey, nowMs: number): void {
  const parts = authorizationParts(request.authorization);
  if (!parts) throw signError(`Authorization must start with ${SIGNATURE_TYPE} and carry mchid, nonce_str, signature, timestamp and serial_no`);
  const { mchid, nonce_str: nonce, signature, timestamp, serial_no: serial } = parts;
  if (!mchid || !nonce || !signature || !timestamp || !serial) throw signError('Authorization lacks one of mchid, nonce_str, signature, timestamp, serial_no');
  if (mchid !== merchant.mchId) throw signError(`mchid ${mchid} is not the merchant this simulator was started with (--mchid)`, '商户号不存在或与签名不匹配');
  if (serial.toUpperCase() !== merchant.serial.toUpperCase()) throw signError(`serial_no ${serial} is not the --mch-serial the simulator was started with`, '商户证书序列号有误');
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - nowMs / 1000) > CLOCK_SKEW_SECONDS) {
    throw signError(`timestamp ${timestamp} is more than ${CLOCK_SKEW_SECONDS} s from the platform's clock`, '签名过期或时间戳有误');
  }
  const message = signedMessage(request.method, request.pathWithQuery, timestamp, nonce, request.body);
  if (!rsaVerify(message, signature, merchant.publicKey)) {
    throw signError(`the signature is not the merchant key's over "${request.method}\\n${request.pathWithQuery}\\n${timestamp}\\n${nonce}\\n<body>\\n"`);
  }
}

/** The headers that sign an answer or a notification: Wechatpay-Timestamp, -Nonce, -Signature, -Serial. */
export function signingHeaders(body: string, key: { privateKey: KeyObject; serial: string }, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = nonceString();
  return {
    'Request-ID': randomUUID(),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': rsaSign(signedMessage(timestamp, nonce, body), key.privateKey),
    'Wechatpay-Signature-Type': SIGNATURE_TYPE,
    'Wechatpay-Serial': key.serial,
    'Wechatpay-Timestamp': timestamp,
  };
}

/** Whether a JSAPI paySign is the merchant key's over appId, timeStamp, nonceStr and package. */
export function paySignValid(request: { appId: string; timeStamp: string; nonceStr: string; package: string; paySign: string }, merchant: MerchantKey): boolean {
  return rsaVerify(signedMessage(request.appId, request.timeStamp, request.nonceStr, request.package), request.paySign, merchant.publicKey);
}
