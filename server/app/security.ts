// Who may do what: browsers from other sites (CORS, the same check for WebSockets, which CORS does not
// cover, and no writes from their pages), the admin token for writes other than chatting, and which address
// a request comes from.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import proxyAddr from 'proxy-addr';
import { AppError } from '../core/errors.ts';
import type { AllowedHosts } from './hosts.ts';
import type { RateLimitSettings } from '../core/rate-limits.ts';

export type SecurityOptions = {
  rateLimits: RateLimitSettings;
  /** Sockets one user may have open at once. */
  socketsPerUser: number;
  /** Origins of other sites whose pages may call this server from a browser; `*` for any. None by default. */
  corsOrigins: string[];
  /** When set, writes other than chatting (the rules API) need `Authorization: Bearer <token>`. */
  adminToken?: string;
  /** Names this server answers to besides loopback and its own addresses (ALLOWED_HOSTS, PUBLIC_URL's host); see hosts.ts. */
  allowedHosts?: string[];
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

// What browsers send as Sec-Fetch-Site for requests a page makes to its own server, or a person makes by
// typing the address. "same-site" is another origin too: another port of localhost is the same site.
const OWN_SITE = new Set(['same-origin', 'none']);
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a request from a browser page of another site is refused, or undefined when it is not one: the page
 * is this server's own (Sec-Fetch-Site, or else Origin, says so), one of the configured origins, or the
 * caller is not a browser (it sends neither header). Without this a page of any site could post to this
 * server with a "simple" request (text/plain, multipart), which browsers send without asking first.
 */
export function crossSiteRefusal(req: IncomingMessage, allowed: string[]): string | undefined {
  const { origin, 'sec-fetch-site': fetchSite } = req.headers;
  if (origin !== undefined && (allowed.includes('*') || allowed.includes(origin))) return undefined;
  const own = typeof fetchSite === 'string' ? OWN_SITE.has(fetchSite) : originAllowed(req, []);
  if (own) return undefined;
  return `Requests from pages of other sites (${origin ?? fetchSite}) may not change anything here; add the page's origin to CORS_ORIGINS to allow it.`;
}

/** Refuses writes (anything but GET, HEAD and OPTIONS) from pages of other sites with 403 cross_site. */
export function refuseCrossSiteWrites(allowed: string[]): RequestHandler {
  return (req, _res, next) => {
    const refusal = READS.has(req.method) ? undefined : crossSiteRefusal(req, allowed);
    if (refusal) next(new AppError('cross_site', refusal));
    else next();
  };
}

/**
 * Refuses a write whose body is not JSON with 415: the JSON routes take nothing else, and a page of another
 * site can only send text/plain or form bodies without asking the browser's permission first.
 */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (READS.has(req.method) || !hasBody || req.is('application/json')) return next();
  next(new AppError('unsupported_media', `Send the body as JSON, with "Content-Type: application/json" (not ${req.get('content-type') ?? 'no Content-Type'}).`));
};

/** Refuses requests for names this server does not answer to (see hosts.ts) with 403 host_not_allowed. */
export function requireKnownHost(hosts: AllowedHosts): RequestHandler {
  return (req, _res, next) => {
    const refusal = hosts.refusal(req.headers.host);
    if (refusal) next(new AppError('host_not_allowed', refusal));
    else next();
  };
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
