// Internal to the lowdb store: the newest platform API calls, for developer panels opened later. Kept in a
// file of their own (db.api-calls.json), rewritten after each call but never more than one write at a time,
// so db.json stays small and a burst of calls costs a few writes, not one each.
import type { Adapter } from 'lowdb';
import type { ApiCall } from '../contract.ts';
import { API_CALLS_KEPT } from '../limits.ts';
import { StoreError } from './chat-store.ts';

export class RecentApiCalls {
  private calls: ApiCall[] = [];
  private writing?: Promise<void>;
  private again = false;

  constructor(private readonly file: { describe: string; adapter: Adapter<unknown> }) {}

  /** Reads the kept calls; a file that is not a list of calls is left as it is and refused (`damaged`), never overwritten. */
  async open(): Promise<void> {
    const data = await this.file.adapter.read().catch((err: unknown) => {
      if (err instanceof SyntaxError) throw StoreError.aboutFile(this.file.describe, 'not JSON');
      throw err;
    });
    if (data !== null && !Array.isArray(data)) throw StoreError.aboutFile(this.file.describe, 'not a list of API calls');
    this.calls = ((data ?? []) as ApiCall[]).slice(-API_CALLS_KEPT);
  }

  list(): ApiCall[] {
    return [...this.calls];
  }

  /** Adds a call at once (list() has it), and resolves once a write that includes it is done. */
  add(call: ApiCall): Promise<void> {
    this.calls.push(call);
    if (this.calls.length > API_CALLS_KEPT) this.calls.splice(0, this.calls.length - API_CALLS_KEPT);
    this.again = true;
    this.writing ??= this.write();
    return this.writing;
  }

  /** Waits for the last write. */
  async flushed(): Promise<void> {
    await this.writing?.catch(() => undefined);
  }

  private async write(): Promise<void> {
    try {
      // A call added during a write is in the next one, which the same promise waits for.
      while (this.again) {
        this.again = false;
        await this.file.adapter.write(this.calls);
      }
    } finally {
      this.writing = undefined;
    }
  }
}
