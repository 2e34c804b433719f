// Turns anything thrown in a route, body-parser refusals included (415 for a charset or encoding it does not
// read, 413 too large, 400 otherwise), into `{ error: { code, message } }`.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));
}

/** A body-parser refusal as the HTTP contract's error; undefined for anything else. */
export function bodyRefusal(err: unknown): AppError | undefined {
  const { type, status } = err as { type?: unknown; status?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number' || status >= 500) return undefined;
  if (type === 'entity.too.large') return new AppError('too_large', 'The request body is too large.');
  if (type === 'charset.unsupported') return new AppError('unsupported_media', 'The request body\'s charset is not supported; send UTF-8.');
  if (type === 'encoding.unsupported') return new AppError('unsupported_media', 'The request body\'s Content-Encoding is not supported; send it as it is, or gzip or deflate.');
  if (type === 'entity.parse.failed') return new AppError('bad_request', 'The request body is not valid JSON.');
  return new AppError('bad_request', 'The request body could not be read.');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const refused = bodyRefusal(err);
    const error = refused ?? toAppError(err);
    // A refused body is the client's mistake: worth a line at info, never an error with a stack.
    if (refused) (req.log ?? logger).info({ code: error.code, type: (err as { type: string }).type }, 'request body refused');
    else if (error.code === 'internal') (req.log ?? logger).error({ err }, 'request failed');
    if (error.retryAfterMs !== undefined) res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
    res.status(error.status).json({ error: error.toBody() });
  };
}
