// Who may do what: browsers from other sites (CORS, and the same check for WebSockets, which CORS does not
// cover), the admin token for writes other than chatting, and which address a request comes from.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import proxyAddr from 'proxy-addr';
import { AppError } from './errors.ts';
import type { RateLimitSettings } from './rate-limits.ts';

export type SecurityOptions = {
  rateLimits: RateLimitSettings;
  /** Sockets one user may have open at once. */
  socketsPerUser: number;
  /** Origins of other sites whose pages may call this server from a browser; `*` for any. None by default. */
  corsOrigins: string[];
  /** When set, writes other than chatting (the rules API) need `Authorization: Bearer <token>`. */
  adminToken?: string;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For to believe for a client's address. */
  trustProxy?: boolean | number | string;
};

/** No rate limits, any number of sockets, CORS closed, no admin token: for tests and in-process runs. */
export const UNLIMITED: SecurityOptions = { rateLimits: {}, socketsPerUser: Infinity, corsOrigins: [] };

/**
 * Whether a browser page from `origin` may use this server: pages of this server itself, the configured
 * origins, and clients that are not browsers (they send no Origin).
 */
export function originAllowed(req: IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || allowed.includes('*') || allowed.includes(origin)) return true;
  return URL.canParse(origin) && new URL(origin).host === req.headers.host;
}

/** The `origin` setting of the cors middleware and of Socket.IO for the configured origins; undefined when CORS is closed. */
export function allowedOrigins(allowed: string[]): '*' | string[] | undefined {
  if (allowed.length === 0) return undefined;
  return allowed.includes('*') ? '*' : allowed;
}

/** Decides whether to believe the address a proxy reports; Express compiles it from `trustProxy`. */
export type TrustProxy = (address: string, hop: number) => boolean;

/** The client's address, believing X-Forwarded-For only from trusted proxies, as `req.ip` does in Express. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  return proxyAddr(req, trust);
}

/** Compares a secret in constant time, so that timing does not tell how much of it was right. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Refuses the request with 401 unless it carries the admin token (when one is configured). */
export function requireAdmin(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token) return next();
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (given !== undefined && sameSecret(given, token)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="admin"');
    next(new AppError('unauthorized', 'This change needs the admin token: send "Authorization: Bearer <ADMIN_TOKEN>".'));
  };
}
