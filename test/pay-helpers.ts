// Test helpers for WeChat Pay: a merchant (its own RSA key pair, API certificate serial and APIv3 key), the
// simulator with WeChat Pay on, wechatpay-axios-plugin pointed at it, and requests signed by hand for bad input.
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openApp } from '../server/app/start.ts';
import { silentLogger, type Logger } from '../server/logger.ts';
import type { PaySettings } from '../server/pay/pay-settings.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { memoryLocation } from '../server/store/low-location.ts';
import { LowStore } from '../server/store/low-store.ts';
import { connectUser, http, seedContent, send, type ChatSocket } from './helpers.ts';
import { APPID, SECRET, TOKEN } from './platform-helpers.ts';
import { openIdOf, remoteResponder, type TargetOptions } from '../server/wechat/remote-bot.ts';
import type { StoredMessage } from '../server/contract.ts';

const require = createRequire(import.meta.url);
// Code no one here wrote, on the merchant's side of the wire.
export const { Wechatpay, Rsa, Formatter, Aes } = require('wechatpay-axios-plugin') as any;

export const MCHID = '1900000109';
export const MCH_SERIAL = '3775B6A45ACD588826D15E583A95F5DD2A1D1E3A';
export const APIV3_KEY = 'APIv3-key-of-the-merchant-012345';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const MCH_PRIVATE_PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const MCH_PUBLIC_PEM = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

export const paySettings = (more: Partial<PaySettings> = {}): PaySettings => ({
  mchId: MCHID,
  mchSerial: MCH_SERIAL,
  mchPublicKeyPem: MCH_PUBLIC_PEM,
  apiV3Key: APIV3_KEY,
  notifySpeedup: 1000,
  signWith: 'public-key',
  ...more,
});

export type PaySimulator = { url: string; store: ChatStore; close: () => Promise<void> };

export type PaySimulatorOptions = { store?: ChatStore; pay?: Partial<PaySettings>; now?: () => number; logger?: Logger; targetUrl?: string };

/**
 * The simulator with WeChat Pay on (and the account's appid), on `store` (a fresh memory store by default), in
 * front of the account server at `targetUrl` when given (its users become followers, whom JSAPI orders name).
 */
export async function paySimulator({ store = new LowStore(memoryLocation()), pay = {}, now, logger = silentLogger, targetUrl }: PaySimulatorOptions = {}): Promise<PaySimulator> {
  const target: TargetOptions | undefined = targetUrl ? { url: targetUrl, token: TOKEN, retries: 0 } : undefined;
  const app = await openApp({ store, content: seedContent(), logger, responder: target && remoteResponder(target), platform: { appId: APPID, secret: SECRET, now, target }, pay: paySettings(pay) });
  const url = await app.listen(0, '127.0.0.1');
  return { url, store, close: () => app.close() };
}

/** A chat user who wrote to the account once: a follower, whose OpenID a JSAPI order can name. */
export async function follower(url: string, userId: string): Promise<{ openid: string; socket: ChatSocket; received: StoredMessage[] }> {
  const { socket, received } = await connectUser(url, userId);
  const ack = await send(socket, { type: 'text', text: 'hello', clientId: `c-${userId}` });
  if (!ack.ok) throw new Error(`the message was refused: ${JSON.stringify(ack)}`);
  return { openid: openIdOf(userId), socket, received };
}

/** A JSAPI order's body, `more` replacing fields. */
export const jsapiOrder = (openid: string, more: Record<string, unknown> = {}) => ({
  appid: APPID,
  mchid: MCHID,
  description: 'Image形象店-深圳腾大-QQ公仔',
  out_trade_no: `T${Date.now()}${Math.floor(Math.random() * 1e6)}`,
  notify_url: 'https://shop.example/notify',
  amount: { total: 100, currency: 'CNY' },
  payer: { openid },
  ...more,
});

/**
 * wechatpay-axios-plugin in public-key mode, its base URL the simulator, trusting the key at /api/pay/public-key.
 * In an object: the client is a chain in which every property (`then` too) is another call.
 */
export async function payClient(url: string): Promise<{ wxpay: any; keyId: string; pem: string }> {
  const { body } = await http(`${url}/api/pay/public-key`, 'GET');
  return { wxpay: new Wechatpay({ mchid: MCHID, serial: MCH_SERIAL, privateKey: MCH_PRIVATE_PEM, certs: { [body.keyId]: body.pem }, baseURL: `${url}/` }), keyId: body.keyId, pem: body.pem };
}

/** The merchant's SHA256-with-RSA signature over lines that each end in "\n". */
export function merchantSign(...lines: string[]): string {
  return createSign('RSA-SHA256').update(lines.map((line) => `${line}\n`).join('')).sign(MCH_PRIVATE_PEM, 'base64');
}

export type Signing = { mchid?: string; serial?: string; timestamp?: number; signature?: string };

/** A request signed by hand, each part of the Authorization replaceable to make it wrong. */
export async function signedRequest(url: string, method: string, path: string, body?: unknown, signing: Signing = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const timestamp = String(signing.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = signing.signature ?? merchantSign(method, path, timestamp, nonce, text);
  const authorization = `WECHATPAY2-SHA256-RSA2048 mchid="${signing.mchid ?? MCHID}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${signing.serial ?? MCH_SERIAL}"`;
  const res = await fetch(`${url}${path}`, { method, headers: { authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : text });
  const raw = await res.text();
  return { status: res.status, raw, body: raw ? JSON.parse(raw) : undefined, headers: res.headers };
}

/** Whether an answer's (or a notification's) Wechatpay-* headers sign its body with WeChat Pay's public key. */
export function platformSigned(headers: Headers | Record<string, string>, raw: string, publicPem: string): boolean {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name.toLowerCase()]) ?? '';
  return Rsa.verify(Formatter.response(get('wechatpay-timestamp'), get('wechatpay-nonce'), raw), get('wechatpay-signature'), Rsa.from(publicPem, Rsa.KEY_TYPE_PUBLIC));
}

/** One notification as the merchant's handler got it: headers, raw body. */
export type Delivery = { headers: Record<string, string>; raw: string; at: number };

/**
 * A merchant's notify_url handler: answers each delivery with `answer(n)` (n counts from 1: a status, or 'hang'
 * to never answer), and keeps what came.
 */
export async function notifyHandler(answer: (n: number) => number | 'hang' = () => 204) {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers as Record<string, string>, raw, at: Date.now() });
      const status = answer(deliveries.length);
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? '' : JSON.stringify({ code: 'FAIL', message: 'not now' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay/notify`,
    deliveries,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A notification opened as a merchant's server opens it with wechatpay-axios-plugin: verified, then decrypted. */
export function openNotification(delivery: Delivery, publicPem: string): { envelope: any; resource: any } {
  const { headers, raw } = delivery;
  const verified = Rsa.verify(Formatter.response(headers['wechatpay-timestamp'], headers['wechatpay-nonce'], raw), headers['wechatpay-signature'], Rsa.from(publicPem, Rsa.KEY_TYPE_PUBLIC));
  if (!verified) throw new Error('the notification is not signed with WeChat Pay\'s key');
  const envelope = JSON.parse(raw);
  const { ciphertext, nonce, associated_data } = envelope.resource;
  return { envelope, resource: JSON.parse(Aes.AesGcm.decrypt(ciphertext, APIV3_KEY, nonce, associated_data)) };
}

/** A Native order placed with the plugin and paid by `userId` through the simulator's API. */
export async function paidNativeOrder(url: string, wxpay: any, notifyUrl: string, userId = 'payer') {
  const order = { ...jsapiOrder('unused', { notify_url: notifyUrl }), payer: undefined };
  const { data } = await wxpay.v3.pay.transactions.native.post(JSON.parse(JSON.stringify(order)));
  const paid = await http(`${url}/api/pay/payments`, 'POST', { userId, code_url: data.code_url });
  if (!paid.body.ok) throw new Error(`not paid: ${JSON.stringify(paid.body)}`);
  return { outTradeNo: order.out_trade_no as string, transaction: paid.body.transaction };
}

/** The platform's answer to a call that must be refused (axios throws it); a call that succeeds fails the test. */
export async function refused(call: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    const answer = await call;
    throw new Error(`expected a refusal, got ${JSON.stringify((answer as { data?: unknown }).data)}`);
  } catch (err: any) {
    if (!err.response) throw err;
    return { status: err.response.status, data: err.response.data };
  }
}
