// Rate limits per user and per address: over a limit is `rate_limited` with the time until the next request would
// be accepted; each user and each address has a budget of its own. Counted in this process's memory
// (rate-limiter-flexible), or in shared counters (Redis, when many processes share one) with this process's
// memory standing in while those cannot be reached.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors.ts';

/** `points` requests per `seconds`-long window. */
export type Rate = { points: number; seconds: number };

export type RateLimitSettings = {
  /** Messages one user may send, whatever the channel; undefined: no limit. */
  perUser?: Rate;
  /** Requests one address may make: HTTP requests, socket connections and socket messages; undefined: no limit. */
  perAddress?: Rate;
};

/** Counters every process charges alike: a fixed window per counter, started by its first charge. */
export type SharedBudgets = {
  /** Adds one to `scope`'s counter for `key`; resolves with the count in the current window and the ms left of it. */
  charge: (scope: string, key: string, windowMs: number) => Promise<{ count: number; msLeft: number }>;
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

function limiter(rate: Rate | undefined, what: string, shared: SharedBudgets | undefined, scope: string): Limiter {
  if (!rate) return async () => {};
  const memory = new RateLimiterMemory({ points: rate.points, duration: rate.seconds });
  const refuse = (msBeforeNext: number) => {
    const retryAfterMs = Math.max(1, Math.ceil(msBeforeNext));
    return new AppError('rate_limited', `Too many ${what} (at most ${rate.points} per ${rate.seconds} s); try again in ${Math.ceil(retryAfterMs / 1000)} s.`, { retryAfterMs });
  };
  const inMemory = async (key: string) => {
    try {
      await memory.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw refuse(res.msBeforeNext);
    }
  };
  if (!shared) return inMemory;
  const windowMs = Math.round(rate.seconds * 1000);
  return (key) => {
    // Charged at once (not after an await): charges made in one go travel to Redis together (redis/budgets.ts).
    const charged = shared.charge(scope, key, windowMs);
    return charged.then(
      ({ count, msLeft }) => {
        if (count > rate.points) throw refuse(msLeft);
      },
      () => inMemory(key), // the shared counters are out of reach: this process's own budget meanwhile
    );
  };
}

export class RateLimits {
  /** Charges one message to a user; rejects with `rate_limited` over the limit. */
  readonly user: Limiter;
  /** Charges one request to an address; rejects with `rate_limited` over the limit. */
  readonly address: Limiter;

  /** `shared`: count in those counters, shared by every process using them. */
  constructor(settings: RateLimitSettings, shared?: SharedBudgets) {
    this.user = limiter(settings.perUser, 'messages from this user', shared, 'user');
    this.address = limiter(settings.perAddress, 'requests from this address', shared, 'address');
  }
}
