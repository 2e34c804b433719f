// A typed client for scripts and tests: connect as a user, say things, click menu buttons, get the replies.
import { io, type Socket } from 'socket.io-client';
import type {
  Account,
  ClientToServerEvents,
  Exchange,
  Inbound,
  QrCodeInfo,
  ServerToClientEvents,
  StoredMessage,
} from '../../server/contract.ts';

export type { Account, Exchange, Inbound, StoredMessage };

export type ConnectOptions = {
  /** The server, e.g. http://localhost:3000. */
  url: string;
  /** Who to be; without it the server makes a fresh user. */
  userId?: string;
  /** How long to wait for the connection and for each answer (default 10 s). */
  timeoutMs?: number;
  /**
   * On `rate_limited`, wait as long as the server says and try again (default false: throw it). A message is
   * resent with the same clientId (one is added when it has none), so the server answers it at most once.
   */
  retryRateLimited?: boolean;
  /** Called each time the client waits for the rate limit, with how long it waits. */
  onRateLimited?: (waitMs: number) => void;
  /**
   * In Node, the `http.Agent` the WebSocket connects through (the flows runner shares one that resolves each host
   * once). Typed as an object so that the SDK's types need no Node typings.
   */
  agent?: object;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What the server says to wait when a refusal gives no figure (it always should). */
const DEFAULT_RETRY_MS = 1000;

/** A failure the server reported (its error code), or a time-out / connection problem (`timeout`, `connect_failed`). */
export class BotClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** With `rate_limited`: how long to wait before sending again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'BotClientError';
  }
}

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class BotClient {
  private readonly listeners = new Set<(message: StoredMessage) => void>();

  private constructor(
    /** The simulator's address, for the account's QR codes (scan). */
    private readonly url: string,
    private readonly socket: ChatSocket,
    readonly userId: string,
    readonly account: Account,
    /** The user's latest messages when the connection opened (a new user's welcome among them). */
    readonly history: StoredMessage[],
    private readonly timeoutMs: number,
    private readonly throttle: Pick<ConnectOptions, 'retryRateLimited' | 'onRateLimited'>,
  ) {
    socket.on('message', (message) => this.listeners.forEach((listener) => listener(message)));
  }

  /** Connects and waits for the server's `ready`; with `retryRateLimited`, waits out a `rate_limited` refusal. */
  static async connect(options: ConnectOptions): Promise<BotClient> {
    for (;;) {
      try {
        return await BotClient.connectOnce(options);
      } catch (err) {
        if (!options.retryRateLimited || !(err instanceof BotClientError) || err.code !== 'rate_limited') throw err;
        const waitMs = err.retryAfterMs ?? DEFAULT_RETRY_MS;
        options.onRateLimited?.(waitMs);
        await sleep(waitMs);
      }
    }
  }

  private static connectOnce({ url, userId, timeoutMs = 10_000, agent, ...throttle }: ConnectOptions): Promise<BotClient> {
    const socket: ChatSocket = io(url, {
      auth: userId ? { userId } : {},
      // engine.io-client's type says string | boolean, but it hands the option to the WebSocket as it is.
      ...(agent ? { agent: agent as unknown as string } : {}),
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    return new Promise((resolve, reject) => {
      const fail = (error: BotClientError) => {
        clearTimeout(timer);
        socket.close();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new BotClientError('timeout', `No answer from ${url} within ${timeoutMs} ms.`)),
        timeoutMs,
      );
      socket.once('connect_error', (err) => {
        // A refusal by the server carries its error body; anything else is the network's.
        const body = (err as Error & { data?: { code?: unknown; retryAfterMs?: unknown } }).data;
        if (body?.code === 'rate_limited') fail(new BotClientError('rate_limited', err.message, typeof body.retryAfterMs === 'number' ? body.retryAfterMs : undefined));
        else fail(new BotClientError('connect_failed', `Cannot connect to ${url}: ${err.message}`));
      });
      socket.once('ready', (ready) => {
        clearTimeout(timer);
        resolve(new BotClient(url, socket, ready.userId, ready.account, ready.history, timeoutMs, throttle));
      });
    });
  }

  /** Sends text; resolves with the bot's replies. */
  async say(text: string, clientId?: string): Promise<StoredMessage[]> {
    return (await this.send({ type: 'text', text, ...(clientId ? { clientId } : {}) })).replies;
  }

  /** Taps a menu button by its key. */
  async click(key: string): Promise<StoredMessage[]> {
    return (await this.send({ type: 'event', event: 'click', key })).replies;
  }

  /** Shares a location (an extension to WeChat's flows: what the `+` panel's Location sends); resolves with the replies. */
  async location(latitude: number, longitude: number, options: { label?: string; scale?: number } = {}): Promise<StoredMessage[]> {
    return (await this.send({ type: 'location', latitude, longitude, ...options })).replies;
  }

  /** Shares a link, as the in-app browser's *Send to chat* does; resolves with the replies. */
  async link(url: string, title: string, description?: string): Promise<StoredMessage[]> {
    return (await this.send({ type: 'link', url, title, ...(description ? { description } : {}) })).replies;
  }

  /** Scans the account's live QR code of `scene` (its scene_str or scene_id, or a ticket); resolves with the replies. */
  async scan(scene: string): Promise<StoredMessage[]> {
    return (await this.send(await this.scanInbound(scene))).replies;
  }

  /** The scan of the account's live code of `scene` (GET /api/qrcodes), or a BotClientError `not_found`. */
  async scanInbound(scene: string): Promise<Inbound> {
    const res = await fetch(new URL('/api/qrcodes', this.url)).catch((err: Error) => {
      throw new BotClientError('connect_failed', `Cannot list the account's QR codes: ${err.message}`);
    });
    if (!res.ok) throw new BotClientError('not_found', `Cannot list the account's QR codes (HTTP ${res.status})`);
    const { codes } = (await res.json()) as { codes: QrCodeInfo[] };
    const code = codes.find((c) => c.scene === scene) ?? codes.find((c) => c.ticket === scene);
    if (!code) throw new BotClientError('not_found', `The account has no live QR code with scene "${scene}"; its server creates them with qrcode/create`);
    return { type: 'event', event: 'scan', ticket: code.ticket };
  }

  async subscribe(): Promise<StoredMessage[]> {
    return (await this.send({ type: 'event', event: 'subscribe' })).replies;
  }

  async unsubscribe(): Promise<StoredMessage[]> {
    return (await this.send({ type: 'event', event: 'unsubscribe' })).replies;
  }

  /** Sends any inbound message; resolves with the stored message and replies, or throws a BotClientError. */
  async send(inbound: Inbound): Promise<Exchange> {
    if (!this.throttle.retryRateLimited) return this.sendOnce(inbound);
    const once = inbound.clientId ? inbound : { ...inbound, clientId: crypto.randomUUID() };
    for (;;) {
      try {
        return await this.sendOnce(once);
      } catch (err) {
        if (!(err instanceof BotClientError) || err.code !== 'rate_limited') throw err;
        const waitMs = err.retryAfterMs ?? DEFAULT_RETRY_MS;
        this.throttle.onRateLimited?.(waitMs);
        await sleep(waitMs);
      }
    }
  }

  private async sendOnce(inbound: Inbound): Promise<Exchange> {
    if (!this.socket.connected) throw new BotClientError('disconnected', 'The connection is closed.');
    let ack;
    try {
      ack = await this.socket.timeout(this.timeoutMs).emitWithAck('message', inbound);
    } catch {
      throw new BotClientError('timeout', `No answer to ${describe(inbound)} within ${this.timeoutMs} ms.`);
    }
    if (!ack.ok) throw new BotClientError(ack.error.code, ack.error.message, ack.error.retryAfterMs);
    return { message: ack.message, replies: ack.replies };
  }

  /** Calls `listener` with every message stored for this user from now on, except those whose ack this client gets (its own sends). */
  onMessage(listener: (message: StoredMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.socket.close();
  }
}

/** Connects as a user: `const bot = await connect({ url }); await bot.say('payment')`. */
export const connect = (options: ConnectOptions): Promise<BotClient> => BotClient.connect(options);

function describe(inbound: Inbound): string {
  if (inbound.type === 'text') return JSON.stringify(inbound.text.length > 40 ? `${inbound.text.slice(0, 40)}…` : inbound.text);
  if (inbound.type === 'image') return `the picture ${inbound.url}`;
  if (inbound.type === 'location') return `the location ${inbound.latitude},${inbound.longitude}`;
  if (inbound.type === 'link') return `the link ${inbound.url}`;
  if (inbound.event === 'scan') return `the scan of ${inbound.ticket}`;
  if (inbound.event === 'click') return `the click on "${inbound.key}"`;
  return inbound.event === 'view' ? `the link ${inbound.url}` : `the ${inbound.event} event`;
}

export type AuthorizeOptions = {
  /** The simulator, e.g. http://localhost:3000. */
  url: string;
  /** The chat user who signs in. */
  userId: string;
  appid: string;
  /** Where the account's page wants the code: on its web authorization domain. */
  redirectUri: string;
  scope?: 'snsapi_base' | 'snsapi_userinfo';
  state?: string;
  /** The consent sheet's answer for snsapi_userinfo (default allow). */
  consent?: 'allow' | 'deny';
};

/** Where the authorize page sent the user: the redirect URL, and the code in it (none after Deny). */
export type Authorized = { location: string; code?: string; state: string };

/** The authorize page refused the request: WeChat's code (10003 a redirect_uri off the domain, 10005 a scope…) and why. */
export class AuthorizeRefused extends BotClientError {
  constructor(
    readonly errcode: number,
    message: string,
  ) {
    super('authorize_refused', message);
    this.name = 'AuthorizeRefused';
  }
}

/**
 * Web authorization as a user taps through it, without a browser: `const { code } = await authorize({ url, userId,
 * appid, redirectUri, scope: 'snsapi_userinfo' })`, then give the code to the account's server (its redirect_uri).
 */
export async function authorize({ url, userId, appid, redirectUri, scope = 'snsapi_base', state = '', consent = 'allow' }: AuthorizeOptions): Promise<Authorized> {
  const query = new URLSearchParams({ appid, redirect_uri: redirectUri, response_type: 'code', scope, state, user: userId });
  if (scope === 'snsapi_userinfo') query.set('consent', consent);
  let response: Response;
  try {
    response = await fetch(new URL(`/connect/oauth2/authorize?${query}`, url), { redirect: 'manual' });
  } catch (err) {
    throw new BotClientError('connect_failed', `Cannot reach ${url}: ${(err as Error).message}`);
  }
  const location = response.headers.get('location');
  if (response.status === 302 && location) {
    const params = new URL(location).searchParams;
    const code = params.get('code') ?? undefined;
    return { location, ...(code === undefined ? {} : { code }), state: params.get('state') ?? '' };
  }
  const page = await response.text();
  const errcode = Number(/<span id="errcode">(-?\d+)<\/span>/.exec(page)?.[1] ?? NaN);
  const escaped = /<\/span><\/p>\s*<p>([^<]*)<\/p>/.exec(page)?.[1];
  const reason = escaped?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))) ?? `HTTP ${response.status}`;
  throw new AuthorizeRefused(errcode, `The authorize page refused (${errcode}): ${reason}`);
}

/** A pay sheet as the simulator keeps it: what it shows, and how it ended once it did. */
export type PaySheet = {
  merchant: string;
  description: string;
  /** In fen. */
  total: number;
  outTradeNo: string;
  outcome?: { result: 'ok' | 'cancel' | 'fail'; code?: string; message?: string; transactionId?: string };
};

/** A payment the simulator refused (NOTENOUGH, ORDER_CLOSED, ORDER_EXPIRED, NO_PAY_SHEET, …). */
export class PaymentRefused extends BotClientError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'PaymentRefused';
  }
}

type PayTarget = { url: string; userId: string };

async function payCall(url: string, path: string, method: 'GET' | 'POST', body?: object): Promise<any> {
  let response: Response;
  try {
    response = await fetch(new URL(path, url), { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body && JSON.stringify(body) });
  } catch (err) {
    throw new BotClientError('connect_failed', `Cannot reach ${url}: ${(err as Error).message}`);
  }
  const answer = (await response.json().catch(() => ({}))) as { ok?: boolean; error?: { code: string; message: string } };
  if (answer.ok === false || !response.ok) throw new PaymentRefused(answer.error?.code ?? `http_${response.status}`, answer.error?.message ?? `HTTP ${response.status}`);
  return answer;
}

/** WeChat Pay without a browser: the pay sheet open for the user (a page's chooseWXPay, a scan), or undefined. */
export async function paySheet({ url, userId }: PayTarget): Promise<PaySheet | undefined> {
  try {
    return (await payCall(url, `/api/pay/sheets/${encodeURIComponent(userId)}`, 'GET')).sheet as PaySheet;
  } catch (err) {
    if (err instanceof PaymentRefused && err.code === 'not_found') return undefined;
    throw err;
  }
}

/** Taps Pay on the user's open pay sheet; the page hears chooseWXPay:ok (or :fail, and the sheet's outcome says why). */
export async function confirmPayment({ url, userId }: PayTarget): Promise<PaySheet> {
  return (await payCall(url, `/api/pay/sheets/${encodeURIComponent(userId)}/pay`, 'POST')).sheet as PaySheet;
}

/** Taps Cancel on the user's open pay sheet; the page hears chooseWXPay:cancel and the order stays NOTPAY. */
export async function cancelPayment({ url, userId }: PayTarget): Promise<PaySheet> {
  return (await payCall(url, `/api/pay/sheets/${encodeURIComponent(userId)}/cancel`, 'POST')).sheet as PaySheet;
}

/** Pays an order as the user, with no sheet at all (a bot's CI): by its prepay_id (JSAPI) or code_url (Native). */
export async function payOrder({ url, userId, prepayId, codeUrl }: PayTarget & { prepayId?: string; codeUrl?: string }): Promise<{ transaction: Record<string, unknown> }> {
  const answer = await payCall(url, '/api/pay/payments', 'POST', { userId, ...(prepayId ? { prepay_id: prepayId } : {}), ...(codeUrl ? { code_url: codeUrl } : {}) });
  return { transaction: answer.transaction };
}
