// Errors meant for clients: a stable code, a readable message, and the HTTP status that goes with it.
import type { ErrorBody, ErrorCode } from '../contract.ts';
import { StoreError, type StoreErrorKind } from '../store/chat-store.ts';

const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  cross_site: 403,
  host_not_allowed: 403,
  too_long: 400,
  too_large: 413,
  unsupported_media: 415,
  rate_limited: 429,
  too_many_connections: 429,
  not_found: 404,
  page_not_allowed: 403,
  conflict: 409,
  qrcode_expired: 410,
  media_quota: 507,
  storage_unavailable: 503,
  shutting_down: 503,
  internal: 500,
};

/** An error meant for the client: a stable code, a readable message, an HTTP status. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** For `rate_limited`: how long until the same request would be accepted. */
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = httpStatusOf[code];
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  toBody(): ErrorBody {
    return this.retryAfterMs === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs };
  }
}

// Damaged data is the operator's to repair; to a client it is storage that cannot answer now.
const codeOfStoreError: Record<StoreErrorKind, ErrorCode> = {
  unavailable: 'storage_unavailable',
  damaged: 'storage_unavailable',
  conflict: 'conflict',
  quota: 'media_quota',
};

/** Turns anything thrown into a client-safe error: store errors keep their message; unknown errors never leak their details. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof StoreError) return new AppError(codeOfStoreError[err.kind], err.message);
  return new AppError('internal', 'Something went wrong on the server.');
}
