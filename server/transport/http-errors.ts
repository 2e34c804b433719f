// Turns anything thrown in a route, body-parser failures included, into `{ error: { code, message } }`.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const type = (err as { type?: string }).type;
    const error =
      type === 'entity.too.large'
        ? new AppError('too_large', 'The request body is too large.')
        : type === 'entity.parse.failed'
          ? new AppError('bad_request', 'The request body is not valid JSON.')
          : typeof type === 'string' && type.startsWith('encoding.')
            ? new AppError('bad_request', 'The request body has an unsupported encoding.')
            : toAppError(err);
    if (error.code === 'internal') (req.log ?? logger).error({ err }, 'request failed');
    if (error.retryAfterMs !== undefined) res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
    res.status(error.status).json({ error: error.toBody() });
  };
}
