import type { Context, Next } from 'koa';
import type { ApiErrorBody, ApiErrorCode } from '../../../shared/src/api-error.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** Codes for HTTP errors raised by libraries (body parser, router, koa-jwt) rather than by us. */
const CODE_BY_STATUS: Record<number, ApiErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/**
 * The one place errors become responses, and the one place they are logged. Domain errors and
 * library 4xx errors keep their message; everything else is a 500 whose details stay in the log.
 */
export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      // Routers answer 404/405 with an empty body: give those the error shape too.
      const code = CODE_BY_STATUS[ctx.status];
      if (ctx.status >= 400 && code && (ctx.body === undefined || ctx.body === null)) {
        const message = ctx.status === 404 ? `No such resource: ${ctx.method} ${ctx.path}` : `${ctx.method} is not allowed on ${ctx.path}`;
        respond(ctx, ctx.status, code, message);
      }
    } catch (err) {
      if (err instanceof DomainError) {
        ctx.set(err.headers);
        respond(ctx, err.status, err.code, err.message, err.details);
        Object.assign(ctx.body as object, err.extra);
        return;
      }
      const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; headers?: Record<string, string> };
      const status = e.status ?? e.statusCode ?? 500;
      const code = CODE_BY_STATUS[status];
      if (status < 500 && code) {
        if (e.headers) ctx.set(e.headers);
        respond(ctx, status, code, libraryMessage(status, e.message));
        return;
      }
      log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      respond(ctx, 500, 'internal', 'Internal server error');
    }
  };
}

function respond(ctx: Context, status: number, code: ApiErrorCode, message: string, details?: ApiErrorBody['error']['details']) {
  ctx.status = status;
  ctx.body = { error: { code, message, ...(details ? { details } : {}) } } satisfies ApiErrorBody;
}

function libraryMessage(status: number, message = ''): string {
  if (status === 400 && /JSON|Unexpected|token/i.test(message)) return `Malformed JSON body: ${message}`;
  if (status === 413) return 'Request body too large';
  return message || 'Bad request';
}
