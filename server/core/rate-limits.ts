// Rate limits per user and per address (rate-limiter-flexible, in memory, or in Redis when many processes share
// one): over a limit is `rate_limited` with the time until the next request would be accepted; each user and
// each address has a budget of its own.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from './errors.ts';

/** `points` requests per `seconds`-long window. */
export type Rate = { points: number; seconds: number };

export type RateLimitSettings = {
  /** Messages one user may send, whatever the channel; undefined: no limit. */
  perUser?: Rate;
  /** Requests one address may make: HTTP requests, socket connections and socket messages; undefined: no limit. */
  perAddress?: Rate;
};

/** Parses `30/10s` (30 per 10 seconds), `600/1m` or `off`; throws naming the setting otherwise. */
export function parseRate(text: string, name: string): Rate | undefined {
  if (text.trim().toLowerCase() === 'off') return undefined;
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*(s|m)?\s*$/.exec(text);
  const points = Number(match?.[1]);
  const seconds = Number(match?.[2]) * (match?.[3] === 'm' ? 60 : 1);
  if (!match || !(points >= 1) || !(seconds > 0)) {
    throw new Error(`${name} must look like "30/10s" (30 requests per 10 seconds), "600/1m" or "off", not "${text}"`);
  }
  return { points, seconds };
}

type Limiter = (key: string) => Promise<void>;

function limiter(rate: Rate | undefined, what: string, redis: Redis | undefined, name: string): Limiter {
  if (!rate) return async () => {};
  const memory = new RateLimiterMemory({ points: rate.points, duration: rate.seconds });
  // In Redis every process charges the same budget; while Redis is away each process falls back to its own.
  const budget: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `oa:rate:${name}`, points: rate.points, duration: rate.seconds, rejectIfRedisNotReady: true, insuranceLimiter: memory })
    : memory;
  return async (key) => {
    try {
      await budget.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const retryAfterMs = Math.max(1, Math.ceil(res.msBeforeNext));
      throw new AppError('rate_limited', `Too many ${what} (at most ${rate.points} per ${rate.seconds} s); try again in ${Math.ceil(retryAfterMs / 1000)} s.`, { retryAfterMs });
    }
  };
}

export class RateLimits {
  /** Charges one message to a user; rejects with `rate_limited` over the limit. */
  readonly user: Limiter;
  /** Charges one request to an address; rejects with `rate_limited` over the limit. */
  readonly address: Limiter;

  /** `redis`: count in that Redis, shared by every process using it. */
  constructor(settings: RateLimitSettings, redis?: Redis) {
    this.user = limiter(settings.perUser, 'messages from this user', redis, 'user');
    this.address = limiter(settings.perAddress, 'requests from this address', redis, 'address');
  }
}
