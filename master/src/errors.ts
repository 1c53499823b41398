/**
 * Typed domain errors. Services throw these; one middleware (http/error-middleware.ts) turns them
 * into a status and a JSON body. Only these messages reach clients; anything else is a 500.
 */
import type { ApiErrorCode, ApiErrorDetail } from '../../shared/src/api-error.ts';

export class DomainError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: ApiErrorDetail[] | undefined;
  readonly headers: Record<string, string>;
  /** Fields the response body carries beside `error` (a contract needs them, e.g. LogGap's logSize). */
  readonly extra: Record<string, unknown> = {};
  constructor(status: number, code: ApiErrorCode, message: string, details?: ApiErrorDetail[], headers: Record<string, string> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details?: ApiErrorDetail[]) {
    super(400, 'bad_request', message, details);
  }
}

/** A missing, malformed, forged, expired or revoked token — or wrong login credentials. */
export class UnauthorizedError extends DomainError {
  constructor(message: string, opts: { invalidToken?: boolean } = {}) {
    super(401, 'unauthorized', message, undefined, opts.invalidToken ? { 'WWW-Authenticate': 'Bearer error="invalid_token"' } : {});
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** An agent that speaks another protocol version than the master: asking again cannot help. */
export class UnsupportedProtocolError extends DomainError {
  constructor(message: string) {
    super(400, 'unsupported_protocol', message);
  }
}

export class TooManyRequestsError extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'too_many_requests', message, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/** A console upload or finish that would leave a gap: the agent must resend from `logSize` (shared LogGap). */
export class LogGapError extends ConflictError {
  readonly logSize: number;
  constructor(logSize: number) {
    super(`Log gap: the master has ${logSize} bytes; resend from there`);
    this.logSize = logSize;
    this.extra.logSize = logSize;
  }
}
