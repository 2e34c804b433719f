// Internal to the lowdb store: the media it keeps, as the platform keeps temporary media. Each file lives
// MEDIA_LIFETIME_MS from its createdAt, and a sweep (at open, then periodically) deletes the bytes of those
// whose time is over; the live ones together stay under a quota. One process owns the files, so the sizes
// are counted in memory.
import type { MediaRecord } from './chat-store.ts';
import { StoreError } from './chat-store.ts';
import type { MediaFolder } from './media-files.ts';

export type MediaPolicy = {
  /** How long a file is kept after its createdAt. */
  lifetimeMs: number;
  /** The bytes all live files may take together. */
  quotaBytes: number;
  /** How often the sweep runs after the one at open. */
  sweepMs: number;
  now: () => number;
};

export class KeptMedia {
  /** Every file kept, with its size and when it lapses (epoch ms). */
  private readonly live = new Map<string, { size: number; expiresAt: number }>();
  private usedBytes = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly folder: MediaFolder,
    private readonly policy: MediaPolicy,
    private readonly warn: (message: string, err?: unknown) => void,
  ) {}

  /** Reads what is kept, deletes what lapsed, and sweeps again every `sweepMs`. */
  async open(): Promise<void> {
    for (const record of await this.folder.records()) this.track(record);
    await this.sweep();
    this.timer = setInterval(() => void this.sweep().catch((err: unknown) => this.warn('the media sweep failed; it runs again later', err)), this.policy.sweepMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  async put(record: MediaRecord, bytes: Buffer): Promise<void> {
    if (this.usedBytes + bytes.length > this.policy.quotaBytes) await this.sweep();
    if (this.usedBytes + bytes.length > this.policy.quotaBytes) throw StoreError.mediaQuota(this.usedBytes, this.policy.quotaBytes, this.policy.lifetimeMs);
    // Counted before the write, so uploads side by side cannot pass the quota together.
    this.track(record);
    try {
      await this.folder.put(record, bytes);
    } catch (err) {
      this.forget(record.mediaId);
      throw err;
    }
  }

  async get(mediaId: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined> {
    const kept = this.live.get(mediaId);
    if (!kept || kept.expiresAt <= this.policy.now()) return undefined;
    return this.folder.get(mediaId);
  }

  /** Deletes the files whose lifetime is over; a file that cannot be deleted now is tried again next time. */
  async sweep(): Promise<void> {
    const now = this.policy.now();
    for (const [mediaId, { expiresAt }] of this.live) {
      if (expiresAt > now) continue;
      await this.folder.delete(mediaId);
      this.forget(mediaId);
    }
  }

  private track(record: MediaRecord): void {
    this.forget(record.mediaId);
    this.live.set(record.mediaId, { size: record.size, expiresAt: Date.parse(record.createdAt) + this.policy.lifetimeMs });
    this.usedBytes += record.size;
  }

  private forget(mediaId: string): void {
    const kept = this.live.get(mediaId);
    if (!kept) return;
    this.live.delete(mediaId);
    this.usedBytes -= kept.size;
  }
}
