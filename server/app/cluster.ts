// Many processes on one Redis or one Redis Cluster: Socket.IO pushes cross processes through Socket.IO's Redis
// adapter (sharded pub/sub, SPUBLISH, on a cluster), and rate limits are counted in the same Redis. Sockets per
// user are still counted per process.
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { SharedBudgets } from '../core/rate-limits.ts';
import { RedisBudgets } from '../store/redis/budgets.ts';
import { closeClient, commandClient, connect, messageClient, reportOutages, type RedisAddress } from '../store/redis/connection.ts';

export type Cluster = {
  /** For the rate limits: counted in Redis, shared by every process. */
  budgets: SharedBudgets;
  /** Sends this server's pushes through Redis to every process. */
  attach: (io: Server) => void;
  close: () => Promise<void>;
};

/** Connects to the Redis every process shares (REDIS_URL, and REDIS_CLUSTER for a Redis Cluster). */
export async function joinCluster(address: RedisAddress, warn: (message: string, err?: unknown) => void): Promise<Cluster> {
  // Short: while Redis does not answer, the limits fall back to each process's own memory rather than wait.
  const limits = commandClient(address, 'rate-limits', 500);
  // Auto-pipelined: the publishes of turns that end in one turn of the event loop leave in one write (one syscall).
  const pub = messageClient(address, 'push-out', { autoPipelining: true });
  const sub = messageClient(address, 'push-in');
  reportOutages(limits, warn);
  for (const client of [pub, sub]) reportOutages(client, () => {}); // the same outage, reported once above
  try {
    await Promise.all([limits, pub, sub].map((client) => connect(client, address.url)));
  } catch (err) {
    for (const client of [limits, pub, sub]) client.disconnect();
    throw err;
  }
  return {
    budgets: new RedisBudgets(limits),
    // On a cluster, a room's pushes go on a channel of their own (`socket.io#/#<room>#`), in that channel's slot,
    // to the processes with a socket in the room: the shards share the pub/sub.
    attach: (io) => io.adapter(address.cluster ? createShardedAdapter(pub, sub) : createAdapter(pub, sub)),
    close: async () => {
      await Promise.all([limits, pub, sub].map(closeClient));
    },
  };
}
