// Many processes on one Redis: Socket.IO pushes cross processes through Socket.IO's Redis adapter (a push to a
// user's room reaches their sockets on every process, `.except(socketId)` included), and rate limits are
// counted in the same Redis. Sockets per user are still counted per process.
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { closeClient, commandClient, connect, messageClient, reportOutages } from '../store/redis/connection.ts';

export type Cluster = {
  /** For the rate limits: counted in Redis, shared by every process. */
  limits: Redis;
  /** Sends this server's pushes through Redis to every process. */
  attach: (io: Server) => void;
  close: () => Promise<void>;
};

/** Connects to the Redis every process shares (REDIS_URL). */
export async function joinCluster(url: string, warn: (message: string, err?: unknown) => void): Promise<Cluster> {
  // Short: while Redis does not answer, the limits fall back to each process's own memory rather than wait.
  const limits = commandClient(url, 'rate-limits', 500);
  const pub = messageClient(url, 'push-out');
  const sub = messageClient(url, 'push-in');
  reportOutages(limits, warn);
  for (const client of [pub, sub]) reportOutages(client, () => {}); // the same outage, reported once above
  try {
    await Promise.all([limits, pub, sub].map((client) => connect(client, url)));
  } catch (err) {
    for (const client of [limits, pub, sub]) client.disconnect();
    throw err;
  }
  return {
    limits,
    attach: (io) => io.adapter(createAdapter(pub, sub)),
    close: async () => {
      await Promise.all([limits, pub, sub].map(closeClient));
    },
  };
}
