/**
 * A request answered before its body was all read — refused early, over a limit or not allowed —
 * must not keep the master reading what its client goes on sending. After the answer, the rest is
 * read and dropped for a short while (as nginx's lingering close: closing a socket with unread
 * bytes resets it, and the client might lose the answer), then the connection is closed.
 */
import type { Middleware } from 'koa';

const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;

export const closeAfterUnreadBody: Middleware = async (ctx, next) => {
  try {
    await next();
  } finally {
    const { req, res } = ctx;
    if (!req.complete) {
      res.once('finish', () => {
        if (req.complete) return;
        let dropped = 0;
        const close = () => req.socket?.destroy(); // null once the request was destroyed
        const timer = setTimeout(close, LINGER_MS);
        req.unpipe();
        // Past the budget it stops reading rather than closing: TCP then holds the client back while
        // it reads the answer. Closing with its bytes unread would reset the connection, and a
        // client still writing can lose the answer to that reset. The timer closes it in the end.
        const drop = (chunk: Buffer) => {
          dropped += chunk.length;
          if (dropped <= LINGER_BYTES) return;
          req.off('data', drop);
          req.pause();
        };
        req.on('data', drop);
        req.once('end', () => clearTimeout(timer));
        req.once('close', () => clearTimeout(timer));
        req.resume();
      });
    }
  }
};
