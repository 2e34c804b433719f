// HTTP adapter for web authorization's server calls under /sns/, beside /cgi-bin/ and answered the same way
// (HTTP 200, JSON, the same refusals of other sites' pages and unknown Hosts, each call in the developer panel).
import type { Request, Router } from 'express';
import type { Platform } from '../platform/platform.ts';
import { platformApi, type PlatformRouteOptions } from './http-platform.ts';

/** The simulator's own origin as this request reached it, for absolute URLs in answers (the default avatar). */
export const originOf = (req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

/** The /sns/ routes, to be mounted at /sns as /cgi-bin is. */
export function snsRoutes(options: PlatformRouteOptions): Router {
  const web = (platform: Platform) => platform.web().sns;
  const { platform } = options;
  return platformApi('/sns', options, {
    'oauth2/access_token': { method: 'GET', token: false, run: ({ query }) => web(platform).accessToken(query) },
    'oauth2/refresh_token': { method: 'GET', token: false, run: ({ query }) => web(platform).refreshToken(query) },
    userinfo: { method: 'GET', token: false, run: ({ query, req }) => web(platform).userInfo(query, originOf(req)) },
    auth: { method: 'GET', token: false, run: ({ query }) => web(platform).auth(query) },
  });
}
