// Messages the user sent that the server has not acknowledged yet: kept across reloads, sent in order,
// each with a clientId so that a resend after a lost connection is answered once, never stored twice.
import type { Inbound, MessageAck } from '../../server/contract.ts';

/** An inbound message as the user composes it; the outbox adds the clientId. */
export type InboundBody = Inbound extends infer T ? (T extends unknown ? Omit<T, 'clientId'> : never) : never;

export type Pending = { clientId: string; inbound: Inbound; failed?: { code: string; message: string } };

/** `unreachable`: not sent, try again on reconnect; `timeout`: sent, but no answer came while connected. */
export type SendResult = { kind: 'acked'; ack: MessageAck } | { kind: 'unreachable' } | { kind: 'timeout'; message: string };

export class Outbox {
  private items: Pending[];
  private flushing = false;

  constructor(private storageKey: string) {
    this.items = this.load(storageKey);
  }

  /**
   * Moves the queue to another key, joining what is already kept there: messages typed before the server
   * named the user (kept under a provisional key) become that user's.
   */
  moveTo(storageKey: string): void {
    if (storageKey === this.storageKey) return;
    const kept = this.load(storageKey);
    const ids = new Set(kept.map((i) => i.clientId));
    localStorage.removeItem(this.storageKey);
    this.storageKey = storageKey;
    this.items = [...kept, ...this.items.filter((i) => !ids.has(i.clientId))];
    this.save();
  }

  /** Drops a message the server is known to have stored (it came back in the history). */
  forget(clientId: string): void {
    const before = this.items.length;
    this.items = this.items.filter((i) => i.clientId !== clientId);
    if (this.items.length !== before) this.save();
  }

  get pending(): readonly Pending[] {
    return this.items;
  }

  add(inbound: InboundBody): Pending {
    const clientId = newClientId();
    const item: Pending = { clientId, inbound: { ...inbound, clientId } as Inbound };
    this.items.push(item);
    this.save();
    return item;
  }

  /** Marks a refused message for another try. */
  retry(clientId: string): void {
    const item = this.items.find((i) => i.clientId === clientId);
    if (item) delete item.failed;
    this.save();
  }

  /**
   * Sends what is waiting, oldest first, one at a time. Stops at the first message the server
   * could not be reached for; it stays queued for the next flush (on reconnect). A message whose answer
   * never came is marked failed, so it shows Retry instead of "Sending…" for ever.
   */
  async flush(send: (inbound: Inbound) => Promise<SendResult>, settled: (item: Pending, ack?: MessageAck) => void): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const item = this.items.find((i) => !i.failed);
        if (!item) return;
        const result = await send(item.inbound);
        if (result.kind === 'unreachable') return;
        if (result.kind === 'timeout') item.failed = { code: 'timeout', message: result.message };
        else if (result.ack.ok) this.items = this.items.filter((i) => i !== item);
        else item.failed = result.ack.error;
        this.save();
        settled(item, result.kind === 'acked' ? result.ack : undefined);
      }
    } finally {
      this.flushing = false;
    }
  }

  private load(storageKey: string): Pending[] {
    try {
      const raw = JSON.parse(localStorage.getItem(storageKey) ?? '[]') as unknown;
      return Array.isArray(raw) ? (raw as Pending[]) : [];
    } catch {
      return [];
    }
  }

  private save(): void {
    if (this.items.length) localStorage.setItem(this.storageKey, JSON.stringify(this.items));
    else localStorage.removeItem(this.storageKey);
  }
}

function newClientId(): string {
  return `c${Date.now().toString(36)}${crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), '')}`.slice(0, 64);
}
