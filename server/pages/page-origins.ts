// Which web origins the page proxy serves: the target's own, and those the server under test named to this user
// (a link in one of its messages, a menu link), approved when the chat window opens the link. Never any other:
// the proxy is not a way for a page to make the simulator fetch what it likes (SSRF).
import type { Records } from '../store/chat-store.ts';

/** A lapsed approval is asked for again when the link is next opened. */
const APPROVAL_TTL_MS = 30 * 86_400_000;

export class PageOrigins {
  constructor(
    private readonly approved: Records<{ approvedAt: string }>,
    /** The target's origin, always served. */
    private readonly fixed: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether pages of `origin` may be served. */
  async allows(origin: string): Promise<boolean> {
    return this.fixed.includes(origin) || (await this.approved.get(origin)) !== undefined;
  }

  /** Serves `origin` from now on (in every process sharing the store). */
  async approve(origin: string): Promise<void> {
    if (this.fixed.includes(origin)) return;
    await this.approved.put(origin, { approvedAt: new Date(this.now()).toISOString() }, { ttlMs: APPROVAL_TTL_MS });
  }
}
