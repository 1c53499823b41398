import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { AuthState } from '../auth/principal.ts';
import type { Clock } from '../clock.ts';

export interface SseStream {
  /** Queues one event; false when the client is behind (then await `drained()` before more). */
  send(event: string, data: unknown, id?: string | number): boolean;
  /** Resolves once what was queued has gone to the client, or the stream closed. */
  drained(): Promise<void>;
  close(): void;
  /** Resolves when the client went away or close() was called. */
  closed: Promise<void>;
}

/**
 * Turns a request into a server-sent-events stream (unbuffered through nginx, kept alive). It
 * lives no longer than the token that opened it: then the client reconnects with its renewed
 * token, so the stream of a session that ended (logout, password change) stops too.
 */
export function openSse(ctx: Context, now: Clock): SseStream {
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-store', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
  const stream = new PassThrough();
  ctx.status = 200;
  ctx.body = stream;
  let done: () => void = () => {};
  const closed = new Promise<void>((resolve) => (done = resolve));
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
  const expiresAt = (ctx.state as AuthState).principal?.expiresAt;
  const expiry = expiresAt === undefined ? undefined : setTimeout(() => stream.end(), Math.max(0, expiresAt * 1000 - now()));
  const finish = () => {
    clearInterval(keepAlive);
    clearTimeout(expiry);
    done();
  };
  ctx.req.on('close', finish);
  stream.on('close', finish);
  stream.write(': connected\n\n');
  return {
    send(event, data, id) {
      if (stream.writableEnded) return true;
      return stream.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    drained() {
      if (!stream.writableNeedDrain || stream.writableEnded) return Promise.resolve();
      return Promise.race([new Promise<void>((resolve) => stream.once('drain', resolve)), closed]);
    },
    close() {
      stream.end();
      finish();
    },
    closed,
  };
}
