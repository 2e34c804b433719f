import type { ErrorBody, ErrorCode } from './contract.ts';

const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  too_long: 400,
  too_large: 413,
  rate_limited: 429,
  not_found: 404,
  conflict: 409,
  storage_unavailable: 503,
  internal: 500,
};

/** An error meant for the client: a stable code, a readable message, an HTTP status. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = httpStatusOf[code];
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** Turns anything thrown into a client-safe error; unknown errors never leak their details. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('internal', 'Something went wrong on the server.');
}
