// One log line per HTTP request (pino-http) with a request id, also sent back as X-Request-Id. Bodies are
// never logged: a message's text stays out of the logs; nor are the platform API's secrets and tokens in URLs.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger.ts';
import { isValidId } from '../core/validation.ts';
import { redactUrl } from '../platform/redact.ts';

/** Logs each request when it ends: method, URL, status, time, and an id that a caller may supply. */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = isValidId(given) ? given : `r${randomBytes(6).toString('base64url')}`;
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // A flood of refusals must not turn into a flood of log lines; health checks are not news.
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode === 429 ? 'debug' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/healthz' },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url), remoteAddress: req.remoteAddress }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
