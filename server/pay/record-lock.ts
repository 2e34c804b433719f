// A lock on one order among every process sharing the store: a claimed record that lapses on its own, so a
// process killed while holding it delays the next one by LEASE_MS at most and blocks no one for good.
import type { Records } from '../store/chat-store.ts';
import { Leases } from '../store/leases.ts';

const LEASE_MS = 10_000;
const RETRY_MS = 5;
const GIVE_UP_MS = 15_000;

export class RecordLocks {
  private readonly leases: Leases;

  constructor(records: Records<string>) {
    this.leases = new Leases(records, LEASE_MS);
  }

  /** Runs `work` holding the lock named `key`; waits for whoever holds it. */
  async with<R>(key: string, work: () => Promise<R>): Promise<R> {
    const deadline = Date.now() + GIVE_UP_MS;
    let lease;
    while (!(lease = await this.leases.take(key))) {
      if (Date.now() > deadline) throw new Error(`the lock ${key} stayed taken for ${GIVE_UP_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    try {
      return await work();
    } finally {
      await lease.release();
    }
  }
}
