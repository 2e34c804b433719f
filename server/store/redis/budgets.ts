// The rate limits' counters in Redis (core/rate-limits.ts, SharedBudgets): `oa:rate:<scope>:{<key>}`, a fixed
// window each. Charges made in one turn of the event loop go to Redis as one script: the address and user
// limits that a socket message charges together cost one round trip, and the messages that arrived together
// (many sockets' data read in one poll) one script for all of them.
import { Cluster } from 'ioredis';
import type { SharedBudgets } from '../../core/rate-limits.ts';
import type { RedisClient } from './connection.ts';
import { chargeBudgets, defineScripts } from './scripts.ts';

type Charge = { name: string; windowMs: number; resolve: (result: { count: number; msLeft: number }) => void; reject: (err: unknown) => void };

export class RedisBudgets implements SharedBudgets {
  private waiting: Charge[] = [];

  constructor(
    private readonly client: RedisClient,
    private readonly prefix = 'oa:rate:',
  ) {
    defineScripts(client);
  }

  charge(scope: string, key: string, windowMs: number): Promise<{ count: number; msLeft: number }> {
    return new Promise((resolve, reject) => {
      // setImmediate, not a microtask: it runs once the poll phase has read every socket that had data.
      if (this.waiting.length === 0) setImmediate(() => this.send());
      // The key in braces: on a cluster a user's counter shares the slot of the user's other keys.
      this.waiting.push({ name: `${this.prefix}${scope}:{${key}}`, windowMs, resolve, reject });
    });
  }

  private send(): void {
    const charges = this.waiting;
    this.waiting = [];
    // On a cluster the counters lie in different slots, and a script's keys must share one: a script each.
    const batches = this.client instanceof Cluster ? charges.map((charge) => [charge]) : [charges];
    for (const batch of batches) {
      chargeBudgets(this.client, batch.map((c) => c.name), batch.map((c) => c.windowMs)).then(
        (counts) => batch.forEach((c, i) => c.resolve({ count: (counts as number[])[2 * i]!, msLeft: (counts as number[])[2 * i + 1]! })),
        (err: unknown) => batch.forEach((c) => c.reject(err)),
      );
    }
  }
}
