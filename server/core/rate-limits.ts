// Rate limits per user and per address: over a limit is `rate_limited` with the time until the next request would
// be accepted; each user and each address has a budget of its own. Counted in this process's memory, or in
// shared counters (Redis, when many processes share one) with this process's memory standing in while those
// cannot be reached. Both count alike: a fixed window per counter, started by its first charge.
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

/** Charges one request to `key`: resolves when it is within the budget, rejects with `rate_limited` otherwise. */
type Limiter = (key: string) => Promise<void>;

/**
 * What a charge in this process's memory answers when it is within the budget: one promise, settled already, for
 * every such charge, so a message's admission allocates nothing and `isAccepted` can tell it apart without waiting.
 */
const ACCEPTED: Promise<void> = Promise.resolve();

/** Whether a charge is known to be accepted already (no limit, or within this process's budget). */
export const isAccepted = (charge: Promise<void> | undefined): boolean => charge === undefined || charge === ACCEPTED;

/**
 * Fixed windows counted in this process's memory, a window per key started by its first charge. Synchronous:
 * a charge answers the count in its window and the ms left of it. Windows that ended are swept once a window length.
 */
class MemoryWindows {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private sweepAt = 0;

  constructor(private readonly windowMs: number) {}

  charge(key: string, now: number): { count: number; msLeft: number } {
    if (now >= this.sweepAt) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, msLeft: window.endsAt - now };
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    this.sweepAt = now + this.windowMs;
  }
}

function limiter(rate: Rate | undefined, what: string, shared: SharedBudgets | undefined, scope: string, now: () => number): Limiter {
  if (!rate) return () => ACCEPTED;
  const windowMs = Math.round(rate.seconds * 1000);
  const memory = new MemoryWindows(windowMs);
  const refuse = (msBeforeNext: number) => {
    const retryAfterMs = Math.max(1, Math.ceil(msBeforeNext));
    return new AppError('rate_limited', `Too many ${what} (at most ${rate.points} per ${rate.seconds} s); try again in ${Math.ceil(retryAfterMs / 1000)} s.`, { retryAfterMs });
  };
  const inMemory = (key: string) => {
    const { count, msLeft } = memory.charge(key, now());
    return count > rate.points ? Promise.reject(refuse(msLeft)) : ACCEPTED;
  };
  if (!shared) return inMemory;
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

  /** `shared`: count in those counters, shared by every process using them; `now`: the clock (tests pass their own). */
  constructor(settings: RateLimitSettings, shared?: SharedBudgets, now: () => number = Date.now) {
    this.user = limiter(settings.perUser, 'messages from this user', shared, 'user', now);
    this.address = limiter(settings.perAddress, 'requests from this address', shared, 'address', now);
  }
}
