// Leases on records (Records.claim): whoever claims a key first does the work it names for a time to live, and lets
// it go when done; a process that dies holding one delays that work until it lapses and blocks it for no longer.
import { randomUUID } from 'node:crypto';
import type { Records } from './chat-store.ts';

export type Lease = {
  /**
   * Holds it for another time to live; false, changing nothing, when it lapsed and another process claimed it.
   * Looked at, then written: renew well before the lease lapses (every third of it), so it cannot lapse between.
   */
  renew(): Promise<boolean>;
  /** Lets it go; one that lapsed and was claimed by another is theirs, and left alone. */
  release(): Promise<void>;
};

export class Leases {
  constructor(
    private readonly records: Records<string>,
    private readonly ttlMs: number,
  ) {}

  /** The lease on `key`, or undefined while another holder's has not lapsed. */
  async take(key: string): Promise<Lease | undefined> {
    const owner = randomUUID();
    if (!(await this.records.claim(key, owner, { ttlMs: this.ttlMs }))) return undefined;
    const ours = async () => (await this.records.get(key)) === owner;
    return {
      renew: async () => {
        if (!(await ours())) return false;
        await this.records.put(key, owner, { ttlMs: this.ttlMs });
        return true;
      },
      release: async () => {
        if (await ours()) await this.records.delete(key);
      },
    };
  }
}
