// The simulator in front of another official-account server: each message goes out as the platform
// would send it (signed XML, retried like WeChat), and the XML reply comes back as bot messages.
import { createHash, randomBytes } from 'node:crypto';
import type { Inbound, Outbound } from '../contract.ts';
import type { Responder } from '../core/chat-service.ts';
import { ACK_TIMEOUT_MS, TARGET_TIMEOUT_MS } from '../limits.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { processIds, type Ids } from '../core/ids.ts';
import { platformRequestXml, repliesFromXml } from './messages.ts';
import { msgSignature } from './crypto.ts';
import { openReply, sealPush, type SafeModeKeys } from './safe-mode.ts';
import { sign } from './signature.ts';
import { postWithin, traced } from './target-http.ts';

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
  /** The target's EncodingAESKey: pushes go out in safe mode and replies are decrypted (needs appId). */
  aesKey?: string;
  /**
   * The simulator's own origin, e.g. http://localhost:3000, so a picture's PicUrl is a link the target can
   * fetch (PUBLIC_URL). Without it, the responder's `selfUrl`: the address the simulator listens on.
   */
  publicUrl?: string;
};

/** What users see when the account's server does not answer properly. */
export const SERVICE_UNAVAILABLE = '该公众号暂时无法提供服务，请稍后再试';

/** One POST to the target: `response` as received (cut past 4 KiB), `decrypted` the XML inside it in safe mode, `error` why it was unusable. */
export type Attempt = { attempt: number; ms: number; status?: number; response?: string; decrypted?: string; error?: string };
/** `request` is the plain XML; in safe mode `encrypted` is the body as sent. */
export type WechatTrace = {
  wechat: { url: string; request: string; encrypted?: string; attempts: Attempt[]; outcome: 'replied' | 'silent' | 'failed' };
};

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

type AttemptResult = { replies?: Outbound[]; status?: number; response?: string; decrypted?: string; error?: string };

/** One POST as the platform makes it; resolves with the replies or with why the attempt failed. */
async function attempt(url: URL, body: string, timeoutMs: number, keys: SafeModeKeys | undefined): Promise<AttemptResult> {
  const answer = await postWithin(url, body, timeoutMs);
  const logged = answer.body === undefined ? {} : { response: traced(answer.body) };
  if (answer.error !== undefined) return { status: answer.status, ...logged, error: answer.error };
  const response = answer.body;
  const silent = response.trim() === '' || response.trim() === 'success';
  let decrypted: string | undefined;
  if (keys && !silent) {
    try {
      decrypted = openReply(response, keys);
    } catch (err) {
      return { status: answer.status, ...logged, error: `unusable encrypted reply: ${(err as Error).message}` };
    }
  }
  const shown = decrypted === undefined ? {} : { decrypted: traced(decrypted) };
  try {
    return { status: answer.status, ...logged, ...shown, replies: repliesFromXml(decrypted ?? response) };
  } catch (err) {
    return { status: answer.status, ...logged, ...shown, error: `unusable reply: ${(err as Error).message}` };
  }
}

/** The safe-mode keys when the target has an EncodingAESKey. */
function safeModeKeys(target: TargetOptions): SafeModeKeys | undefined {
  if (!target.aesKey) return undefined;
  if (!target.appId) throw new Error('Safe mode needs the appid as well as the EncodingAESKey.');
  return { token: target.token, aesKey: target.aesKey, appId: target.appId };
}

/** What pushing one message to the target came to: its replies (when it answered usably), every attempt, and in safe mode the body sent. */
export type PushOutcome = { replies?: Outbound[]; attempts: Attempt[]; encrypted?: string };

/**
 * Pushes one message (plain XML) to the target as the platform does: signed afresh for each attempt, the
 * same body every time (that is how the server recognises a retry), until an attempt gets a usable answer.
 * With an EncodingAESKey the body is encrypted once and each attempt adds encrypt_type=aes and msg_signature.
 * Each failed attempt is logged at warn with its cause: the terminal is where a developer looks first.
 */
export async function pushToTarget(target: TargetOptions, openId: string, request: string, logger: Logger = silentLogger): Promise<PushOutcome> {
  const timeoutMs = target.timeoutMs ?? TARGET_TIMEOUT_MS;
  const retries = target.retries ?? 2;
  const keys = safeModeKeys(target);
  const sealed = keys ? sealPush(request, keys) : undefined;
  const attempts: Attempt[] = [];
  for (let n = 1; n <= 1 + retries; n++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(6).toString('hex');
    const query = new URLSearchParams({ signature: sign(target.token, timestamp, nonce), timestamp, nonce, openid: openId });
    if (sealed) {
      query.set('encrypt_type', 'aes');
      query.set('msg_signature', msgSignature(target.token, timestamp, nonce, sealed.encrypted));
    }
    const url = new URL(target.url);
    url.search = query.toString();
    const started = performance.now();
    const { replies, ...result } = await attempt(url, sealed?.body ?? request, timeoutMs, keys);
    attempts.push({ attempt: n, ms: Math.round(performance.now() - started), ...result });
    if (replies) return { replies, attempts, encrypted: sealed?.body };
    logger.warn({ target: target.url, attempt: n, attempts: 1 + retries, cause: result.error }, `push to ${target.url} failed (attempt ${n} of ${1 + retries}): ${result.error}`);
  }
  return { attempts, encrypted: sealed?.body };
}

/**
 * How long a message may wait for its answer with this target: every attempt's deadline, then the usual
 * ACK_TIMEOUT_MS for the rest (storing, queued turns). The chat window learns it from `ready`.
 */
export function replyDeadlineOf(target: TargetOptions): number {
  return (1 + (target.retries ?? 2)) * (target.timeoutMs ?? TARGET_TIMEOUT_MS) + ACK_TIMEOUT_MS;
}

export type ResponderParts = {
  /** Where this simulator listens, asked at each push: known only once it listens. */
  selfUrl?: () => string | undefined;
  ids?: Ids;
};

/** A responder that asks the target server, as WeChat would. */
export function remoteResponder(target: TargetOptions, logger: Logger = silentLogger, { selfUrl, ids = processIds }: ResponderParts = {}): Responder {
  const accountId = target.accountId ?? 'gh_simulator';
  const lastCreateTime = new Map<string, number>();
  const respond: Responder = async ({ userId, session, inbound, env, scan }) => {
    const openId = openIdOf(userId);
    const createTime = createTimeFor(openId, env.now, lastCreateTime);
    // The same MsgId and CreateTime on every retry: that is how the server recognises one.
    const fields = { openId, accountId, createTime, msgId: String(ids.msgId(env.now.getTime())), baseUrl: target.publicUrl ?? selfUrl?.() };
    const request = platformRequestXml(stripClientId(inbound), fields, scan);
    const { replies, attempts, encrypted } = await pushToTarget(target, openId, request, logger.child({ userId }));
    const exchange = { url: target.url, request, ...(encrypted ? { encrypted } : {}), attempts };
    if (replies) {
      const trace: WechatTrace = { wechat: { ...exchange, outcome: replies.length ? 'replied' : 'silent' } };
      return { replies, session, trace };
    }
    const trace: WechatTrace = { wechat: { ...exchange, outcome: 'failed' } };
    return { replies: [{ type: 'text', text: SERVICE_UNAVAILABLE }], session, trace };
  };
  return Object.assign(respond, { replyDeadlineMs: replyDeadlineOf(target) });
}

function stripClientId(inbound: Inbound): Inbound {
  const { clientId: _clientId, ...rest } = inbound;
  return rest as Inbound;
}
