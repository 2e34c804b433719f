// A typed client for scripts and tests: connect as a user, say things, click menu buttons, get the replies.
import { io, type Socket } from 'socket.io-client';
import type {
  Account,
  ClientToServerEvents,
  Exchange,
  Inbound,
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

  private static connectOnce({ url, userId, timeoutMs = 10_000, ...throttle }: ConnectOptions): Promise<BotClient> {
    const socket: ChatSocket = io(url, {
      auth: userId ? { userId } : {},
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
        resolve(new BotClient(socket, ready.userId, ready.account, ready.history, timeoutMs, throttle));
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
