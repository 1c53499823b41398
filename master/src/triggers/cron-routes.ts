import Router from '@koa/router';
import { z } from 'zod';
import { CronSyntaxError, nextRun, parseCron, previousRun, sanityWarnings } from '../../../shared/src/cron.ts';
import { requireUser } from '../auth/authenticate.ts';
import { ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import type { Clock } from '../clock.ts';

const PreviewQuery = z.object({
  spec: z.string().max(10_000),
  /** The job's name: the seed of H. */
  job: z.string().max(128).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
});

/** Jenkins' "Would last have run at … would next run at …" for a cron spec. */
export function cronRoutes(now: Clock, defaultZone = 'UTC'): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/cron/preview', requireUser, async (ctx) => {
    const q = parseInput(PreviewQuery, ctx.query, 'query');
    const at = new Date(q.at ?? now());
    let schedule;
    try {
      schedule = parseCron(q.spec, { seed: q.job, defaultZone });
    } catch (err) {
      if (err instanceof CronSyntaxError) throw new ValidationError(err.message, [{ field: 'spec', message: err.message }]);
      throw err;
    }
    ctx.body = {
      previous: previousRun(schedule, at)?.toISOString() ?? null,
      next: nextRun(schedule, at)?.toISOString() ?? null,
      timeZone: schedule.timeZone,
      warnings: sanityWarnings(schedule),
    };
  });
  return r;
}
