// The rate limits' counters in Redis (core/rate-limits.ts, SharedBudgets): `oa:rate:<scope>:{<key>}`, a fixed
// window each. Charges made in one turn of the event loop go to Redis as one script (batches.ts): the address
// and user limits that a socket message charges together cost one round trip, and the messages that arrived
// together (many sockets' data read in one poll) one script for all of them.
import { Cluster } from 'ioredis';
import type { SharedBudgets } from '../../core/rate-limits.ts';
import { Batch } from './batches.ts';
import type { RedisClient } from './connection.ts';
import { chargeBudgets, defineScripts } from './scripts.ts';

type Charge = { name: string; windowMs: number };
type Charged = { count: number; msLeft: number };

/** The counters one script charges at most: a script runs alone in Redis, so a flood of charges is cut into several. */
const MOST_A_SCRIPT = 256;

export class RedisBudgets implements SharedBudgets {
  private readonly charges: Batch<Charge, Charged>;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix = 'oa:rate:',
  ) {
    defineScripts(client);
    // On a cluster the counters lie in different slots, and a script's keys must share one: a script each.
    // setImmediate, not a microtask: it runs once the poll phase has read every socket that had data.
    this.charges = new Batch((batch) => this.send(batch), setImmediate, client instanceof Cluster ? 1 : MOST_A_SCRIPT);
  }

  charge(scope: string, key: string, windowMs: number): Promise<Charged> {
    // The key in braces: on a cluster a user's counter shares the slot of the user's other keys.
    return this.charges.add({ name: `${this.prefix}${scope}:{${key}}`, windowMs });
  }

  private async send(batch: Charge[]): Promise<Charged[]> {
    const counts = (await chargeBudgets(this.client, batch.map((c) => c.name), batch.map((c) => c.windowMs))) as number[];
    return batch.map((_, i) => ({ count: counts[2 * i]!, msLeft: counts[2 * i + 1]! }));
  }
}
