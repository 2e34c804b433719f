// GET cgi-bin/ticket/getticket: the JS-SDK's jsapi ticket (and the card ticket, wx_card). Tickets are records
// with a time to live, so every process sharing the store hands out and accepts the same ones. A ticket is
// handed out again while it has more than OVERLAP_MS left, then a new one; the old one stays valid until its own
// expiry, so pages signed a moment ago still pass wx.config.
import { randomBytes } from 'node:crypto';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { PlatformError } from './errors.ts';
import { OVERLAP_MS, TOKEN_SECONDS } from './tokens.ts';

export const TICKET_TYPES = ['jsapi', 'wx_card'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

const TICKET_MS = TOKEN_SECONDS * 1000;
const keyOf = (type: TicketType, ticket: string) => `${type}:${ticket}`;

export class JsTickets {
  /** `<type>:<ticket>` → when it expires. */
  private readonly records: Records<{ expiresAt: number }>;

  constructor(
    store: ChatStore,
    private readonly now: () => number,
  ) {
    this.records = store.records('js-tickets');
  }

  /** getticket's answer: the newest ticket of the type while it has more than OVERLAP_MS left, else a new one. */
  async get(type: unknown): Promise<{ errcode: 0; errmsg: 'ok'; ticket: string; expires_in: number }> {
    if (!TICKET_TYPES.includes(type as TicketType)) throw new PlatformError(40097, 'type must be jsapi or wx_card');
    const now = this.now();
    const newest = (await this.live(type as TicketType)).sort((a, b) => b.expiresAt - a.expiresAt)[0];
    if (newest && newest.expiresAt - now > OVERLAP_MS) return { errcode: 0, errmsg: 'ok', ticket: newest.ticket, expires_in: Math.floor((newest.expiresAt - now) / 1000) };
    const ticket = randomBytes(64).toString('base64url');
    await this.records.put(keyOf(type as TicketType, ticket), { expiresAt: now + TICKET_MS }, { ttlMs: TICKET_MS });
    return { errcode: 0, errmsg: 'ok', ticket, expires_in: TOKEN_SECONDS };
  }

  /** The tickets of a type valid now. */
  async valid(type: TicketType): Promise<string[]> {
    return (await this.live(type)).map(({ ticket }) => ticket);
  }

  private async live(type: TicketType): Promise<{ ticket: string; expiresAt: number }[]> {
    const now = this.now();
    const prefix = `${type}:`;
    return (await this.records.list(prefix)).filter(({ value }) => value.expiresAt > now).map(({ key, value }) => ({ ticket: key.slice(prefix.length), expiresAt: value.expiresAt }));
  }
}
