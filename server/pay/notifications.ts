// WeChat Pay's notifications to a merchant's notify_url, kept in the store until acknowledged (kind
// `pay-notices`): each is encrypted once with the APIv3 key, signed afresh at every attempt, sent with a 5 s
// deadline (no redirect followed, the answer read up to a bound), and retried on the platform's schedule. Any
// process sharing the store may send a due one; a lease (kind `pay-leases`, claimed) makes it exactly one.
import { randomUUID } from 'node:crypto';
import type { ChatService } from '../core/chat-service.ts';
import type { Logger } from '../logger.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { Leases } from '../store/leases.ts';
import { postWithin } from '../wechat/target-http.ts';
import { aesGcmEncrypt } from './pay-crypto.ts';
import type { Order } from './orders.ts';
import { rfc3339 } from './platform-keys.ts';

/** The platform's waits before each retry: 15 s, 15 s, 30 s, 3 min, … 6 h; 16 sends over 24 h 4 min. */
export const RETRY_SCHEDULE_MS = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600].map((s) => s * 1000);
export const NOTIFY_TIMEOUT_MS = 5000;
// Longer than one attempt can take (the deadline, then the record's write), so a lease never lapses mid-attempt.
const LEASE_MS = NOTIFY_TIMEOUT_MS + 10_000;
const MAX_CHECK_MS = 1000;

export type Notice = {
  id: string;
  url: string;
  eventType: string;
  /** The body as it is sent every time: the envelope with the encrypted resource. */
  body: string;
  attempts: number;
  /** When the next attempt is due (the platform's clock). */
  dueAt: number;
  /** The order as the change this announces made it: stored if a crash cut that change short. */
  order?: Order;
};

export type NoticeParts = {
  store: ChatStore;
  service: ChatService;
  logger: Logger;
  apiV3Key: string;
  sign: (body: string) => Record<string, string>;
  /** Stores an order a notice carries unless the stored one is as new. */
  catchUp: (order: Order) => Promise<void>;
  now: () => number;
  /** The schedule divided by this (PAY_NOTIFY_SPEEDUP). */
  speedup: number;
};

export class Notifications {
  private readonly notices: Records<Notice>;
  private readonly leases: Leases;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private again = false;
  /** First attempts under way, started by add. */
  private readonly sending = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly parts: NoticeParts) {
    this.notices = parts.store.records<Notice>('pay-notices');
    this.leases = new Leases(parts.store.records<string>('pay-leases'), LEASE_MS);
  }

  /** A notice ready to be stored: `resource` encrypted, the envelope made once. */
  prepare(url: string, event: { eventType: string; summary: string; originalType: 'transaction' | 'refund'; resource: object }, order?: Order): Notice {
    const id = randomUUID();
    const envelope = {
      id,
      create_time: rfc3339(new Date(this.parts.now())),
      resource_type: 'encrypt-resource',
      event_type: event.eventType,
      summary: event.summary,
      resource: { original_type: event.originalType, ...aesGcmEncrypt(JSON.stringify(event.resource), this.parts.apiV3Key, event.originalType) },
    };
    return { id, url, eventType: event.eventType, body: JSON.stringify(envelope), attempts: 0, dueAt: this.parts.now(), ...(order ? { order } : {}) };
  }

  /** Stores a notice (before the change it announces is stored), and sends it right after (the lease decides who). */
  async add(notice: Notice): Promise<void> {
    await this.notices.put(notice.id, notice);
    setImmediate(() => {
      if (this.stopped) return;
      const sending = this.attempt(notice.id)
        .catch((err: unknown) => this.parts.logger.warn({ err, id: notice.id }, 'WeChat Pay: a notification could not be sent now; it stays pending'))
        .finally(() => this.sending.delete(sending));
      this.sending.add(sending);
    });
  }

  /** Starts looking for due notices: now, and every so often (sooner with the schedule compressed). */
  start(): void {
    const every = Math.max(5, Math.min(MAX_CHECK_MS, RETRY_SCHEDULE_MS[0]! / this.parts.speedup / 3));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
    this.check();
  }

  /** Stops looking, and waits for the attempts under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([this.checking, ...this.sending]);
  }

  /** Every due notice sent once, one check at a time (a check asked for meanwhile runs right after). */
  private check(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.sendDue()
      .catch((err: unknown) => this.parts.logger.warn({ err }, 'WeChat Pay: the pending notifications could not be read; trying again'))
      .finally(() => {
        this.checking = undefined;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  private async sendDue(): Promise<void> {
    const now = this.parts.now();
    const due = (await this.notices.list()).filter(({ value }) => value.dueAt <= now);
    await Promise.all(due.map(({ key }) => this.attempt(key)));
  }

  /** One attempt, by whichever process claims the lease; the notice is read again under it, as it is now. */
  private async attempt(id: string): Promise<void> {
    const lease = await this.leases.take(id);
    if (!lease) return;
    try {
      const notice = await this.notices.get(id);
      if (!notice || notice.dueAt > this.parts.now()) return;
      if (notice.attempts === 0 && notice.order) await this.parts.catchUp(notice.order);
      const answer = await postWithin(new URL(notice.url), notice.body, NOTIFY_TIMEOUT_MS, { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'Mozilla/4.0', ...this.parts.sign(notice.body) });
      const attempt = notice.attempts + 1;
      this.report(notice, attempt, answer);
      if (!answer.error) {
        await this.notices.delete(id);
      } else if (attempt > RETRY_SCHEDULE_MS.length) {
        this.parts.logger.warn({ notification: { id, url: notice.url, attempts: attempt } }, 'WeChat Pay: notification never acknowledged; given up as the platform does');
        await this.notices.delete(id);
      } else {
        await this.notices.put(id, { ...notice, attempts: attempt, dueAt: this.parts.now() + RETRY_SCHEDULE_MS[attempt - 1]! / this.parts.speedup });
      }
    } finally {
      await lease.release();
    }
  }

  private report(notice: Notice, attempt: number, answer: { status?: number; body?: string; error?: string }): void {
    const { id, url, eventType } = notice;
    const outcome = answer.error ?? `HTTP ${answer.status}`;
    const log = { notification: { id, eventType, url, attempt, status: answer.status, answer: answer.body?.slice(0, 200), error: answer.error } };
    if (answer.error) this.parts.logger.warn(log, `WeChat Pay: ${eventType} not acknowledged (${answer.error})`);
    else this.parts.logger.info(log, `WeChat Pay: ${eventType} acknowledged`);
    if (url.startsWith('http:') && attempt === 1) this.parts.logger.warn({ url }, 'WeChat Pay: notify_url is plain http; the platform asks for https (accepted here for local servers)');
    const call = { at: new Date().toISOString(), method: 'POST', path: `→ ${url} (${eventType}, attempt ${attempt})`, body: { id, event_type: eventType }, errcode: answer.error ? (answer.status ?? -1) : 0, errmsg: answer.error ? outcome : `acknowledged: ${outcome}` };
    this.parts.service.reportApiCall(call).catch((err: unknown) => this.parts.logger.warn({ err }, 'a WeChat Pay notification could not be kept for the developer panel'));
  }
}
