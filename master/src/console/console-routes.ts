/**
 * The console over HTTP, for people: progressive reads and plain text (`/log`), Timestamper's
 * listing (`/timestamps`), and the live stream (`/console`, server-sent events resumable by byte
 * offset: `?start=` or the Last-Event-ID header).
 */
import Router from '@koa/router';
import { z } from 'zod';
import { requireUser } from '../auth/authenticate.ts';
import { parseInput } from '../http/validate.ts';
import type { ConsoleService } from './console.ts';
import { parseTimestamperQuery } from './timestamper-format.ts';

const flag = z.enum(['true', 'false', '']).optional().transform((v) => v === 'true' || v === '');
const LogQuery = z.object({ start: z.coerce.number().int().min(0).default(0), timestamps: flag });

export function consoleRoutes(consoles: ConsoleService): Router {
  const r = new Router({ prefix: '/api/jobs/:name/builds/:ref' });
  r.use(requireUser);

  /** Jenkins' progressiveText contract: bytes from `start`, X-Text-Size, X-More-Data while logging. */
  r.get('/log', async (ctx) => {
    const { start, timestamps } = parseInput(LogQuery, ctx.query, 'query');
    const read = await consoles.read(ctx.params.name!, ctx.params.ref!, start, timestamps);
    ctx.set('X-Text-Size', String(read.size));
    if (read.more) ctx.set('X-More-Data', 'true');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = read.body;
  });

  /** As Timestamper's `/timestamps/?time=HH:mm:ss&appendLog` (timestamper-format.ts). */
  r.get('/timestamps', async (ctx) => {
    const query = parseTimestamperQuery(ctx.query as Record<string, string>);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = await consoles.timestamps(ctx.params.name!, ctx.params.ref!, query);
  });

  r.get('/console', async (ctx) => {
    const { timestamps } = parseInput(LogQuery.pick({ timestamps: true }), ctx.query, 'query');
    const lastId = ctx.get('Last-Event-ID');
    const resumeFrom = Number(lastId || ctx.query.start || 0);
    await consoles.stream(ctx, ctx.params.name!, ctx.params.ref!, resumeFrom, !lastId, timestamps);
  });
  return r;
}
