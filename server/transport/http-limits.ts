// The per-address rate limit for every HTTP request; over it is 429 with Retry-After (see http-errors.ts).
import type { Request, RequestHandler } from 'express';
import type { RateLimits } from '../core/rate-limits.ts';

/** Charges each request to its address (`req.ip`, proxies as configured), except those `exempt` says. */
export function addressLimit(limits: RateLimits, exempt: (req: Request) => boolean): RequestHandler {
  return (req, _res, next) => {
    if (exempt(req)) return next();
    limits.address(req.ip ?? 'unknown').then(() => next(), next);
  };
}
