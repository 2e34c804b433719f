// The simulator in front of another official-account server: each message goes out as the platform
// would send it (signed XML, retried like WeChat), and the XML reply comes back as bot messages.
import { createHash, randomBytes } from 'node:crypto';
import type { Inbound, Outbound } from '../contract.ts';
import type { Responder } from '../chat-service.ts';
import { TARGET_TIMEOUT_MS } from '../limits.ts';
import { platformRequestXml, repliesFromXml } from './messages.ts';
import { sign } from './signature.ts';

export type TargetOptions = {
  /** The official-account server's URL, e.g. http://localhost:8080/wechat. */
  url: string;
  token: string;
  /** The account's id, sent as ToUserName (default gh_simulator). */
  accountId?: string;
  /** How long the platform waits for an answer (5 s). */
  timeoutMs?: number;
  /** How many times the platform tries again after a failed attempt (2: three attempts in all). */
  retries?: number;
  /** The account's appid: part of every message in safe mode. */
  appId?: string;
  /** The target's EncodingAESKey: pushes go out in safe mode and replies are decrypted. */
  aesKey?: string;
};

/** What users see when the account's server does not answer properly. */
export const SERVICE_UNAVAILABLE = '该公众号暂时无法提供服务，请稍后再试';

export type Attempt = { attempt: number; ms: number; status?: number; response?: string; error?: string };
export type WechatTrace = { wechat: { url: string; request: string; attempts: Attempt[]; outcome: 'replied' | 'silent' | 'failed' } };

/** A stable OpenID-like id for a simulator user, the same on every message. */
export function openIdOf(userId: string): string {
  return `o${createHash('sha256').update(userId).digest('base64url').slice(0, 27)}`;
}

/**
 * CreateTime in seconds, never repeating for one user: servers tell an event's retries apart from a
 * new event by sender and CreateTime, and a script can tap faster than once a second.
 */
function createTimeFor(openId: string, now: Date, last: Map<string, number>): number {
  const time = Math.max(Math.floor(now.getTime() / 1000), (last.get(openId) ?? 0) + 1);
  last.delete(openId); // re-inserted last, so the map stays in least-recently-used order
  last.set(openId, time);
  if (last.size > 10_000) last.delete(last.keys().next().value!);
  return time;
}

let lastMsgId = 0n;
/** A fresh 64-bit message id, increasing like the platform's. */
function newMsgId(now: Date): string {
  const candidate = BigInt(now.getTime()) * 1000n;
  lastMsgId = candidate > lastMsgId ? candidate : lastMsgId + 1n;
  return lastMsgId.toString();
}

const MAX_LOGGED_RESPONSE = 16 * 1024;

/** One POST as the platform makes it; resolves with the replies or with why the attempt failed. */
async function attempt(url: URL, body: string, timeoutMs: number): Promise<{ replies?: Outbound[]; status?: number; response?: string; error?: string }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return { error: timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${(err as Error).message}` };
  }
  let response: string;
  try {
    response = await res.text();
  } catch {
    return { status: res.status, error: 'the body could not be read in time' };
  }
  const logged = response.slice(0, MAX_LOGGED_RESPONSE);
  if (res.status < 200 || res.status >= 300) return { status: res.status, response: logged, error: `HTTP ${res.status}` };
  try {
    return { status: res.status, response: logged, replies: repliesFromXml(response) };
  } catch (err) {
    return { status: res.status, response: logged, error: `unreadable reply: ${(err as Error).message}` };
  }
}

/** A responder that asks the target server, as WeChat would. */
export function remoteResponder(target: TargetOptions): Responder {
  const timeoutMs = target.timeoutMs ?? TARGET_TIMEOUT_MS;
  const retries = target.retries ?? 3;
  const accountId = target.accountId ?? 'gh_simulator';
  const lastCreateTime = new Map<string, number>();
  return async ({ userId, session, inbound, env }) => {
    const openId = openIdOf(userId);
    const createTime = createTimeFor(openId, env.now, lastCreateTime);
    // The same MsgId and CreateTime on every retry: that is how the server recognises one.
    const request = platformRequestXml(stripClientId(inbound), { openId, accountId, createTime, msgId: newMsgId(env.now) });
    const attempts: Attempt[] = [];
    for (let n = 1; n <= 1 + retries; n++) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(6).toString('hex');
      const url = new URL(target.url);
      url.search = new URLSearchParams({ signature: sign(target.token, timestamp, nonce), timestamp, nonce, openid: openId }).toString();
      const started = performance.now();
      const result = await attempt(url, request, timeoutMs);
      attempts.push({ attempt: n, ms: Math.round(performance.now() - started), status: result.status, response: result.response, error: result.error });
      if (result.replies) {
        const trace: WechatTrace = { wechat: { url: target.url, request, attempts, outcome: result.replies.length ? 'replied' : 'silent' } };
        return { replies: result.replies, session, trace };
      }
    }
    const trace: WechatTrace = { wechat: { url: target.url, request, attempts, outcome: 'failed' } };
    return { replies: [{ type: 'text', text: SERVICE_UNAVAILABLE }], session, trace };
  };
}

function stripClientId(inbound: Inbound): Inbound {
  const { clientId: _clientId, ...rest } = inbound;
  return rest as Inbound;
}
