// Messages the user sent that the server has not acknowledged yet: kept across reloads, sent in order,
// each with a clientId so that a resend after a lost connection is answered once, never stored twice.
import type { Inbound, MessageAck } from '../../server/contract.ts';

/** An inbound message as the user composes it; the outbox adds the clientId. */
export type InboundBody = Inbound extends infer T ? (T extends unknown ? Omit<T, 'clientId'> : never) : never;

export type Pending = { clientId: string; inbound: Inbound; failed?: { code: string; message: string } };

export type SendResult = { kind: 'acked'; ack: MessageAck } | { kind: 'unreachable' };

export class Outbox {
  private items: Pending[];
  private flushing = false;

  constructor(private readonly storageKey: string) {
    this.items = this.load();
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
   * could not be reached for; it stays queued for the next flush (on reconnect).
   */
  async flush(send: (inbound: Inbound) => Promise<SendResult>, settled: (item: Pending, ack: MessageAck) => void): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const item = this.items.find((i) => !i.failed);
        if (!item) return;
        const result = await send(item.inbound);
        if (result.kind === 'unreachable') return;
        if (result.ack.ok) this.items = this.items.filter((i) => i !== item);
        else item.failed = result.ack.error;
        this.save();
        settled(item, result.ack);
      }
    } finally {
      this.flushing = false;
    }
  }

  private load(): Pending[] {
    try {
      const raw = JSON.parse(localStorage.getItem(this.storageKey) ?? '[]') as unknown;
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
