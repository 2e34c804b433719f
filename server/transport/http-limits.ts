// The per-address rate limit for HTTP requests (the /wechat endpoint applies it itself); over it is 429 with Retry-After (see http-errors.ts).
import type { RequestHandler } from 'express';
import type { RateLimits } from '../core/rate-limits.ts';

/** Charges each request to its address (`req.ip`, proxies as configured). */
export function addressLimit(limits: RateLimits): RequestHandler {
  return (req, _res, next) => {
    limits.address(req.ip ?? 'unknown').then(() => next(), next);
  };
}
