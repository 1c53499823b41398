/** Live views: GET /api/events (every event but console bytes; consoles: console/console-stream.ts). */
import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import { openSse } from '../http/sse.ts';
import type { EventBus } from './event-bus.ts';
import type { Clock } from '../clock.ts';

export function eventRoutes(bus: EventBus, now: Clock): Router {
  const r = new Router({ prefix: '/api' });
  r.use(requireUser);

  r.get('/events', async (ctx) => {
    const sse = openSse(ctx, now);
    const stop = await bus.subscribe((event) => {
      if (event.type !== 'build.log') sse.send(event.type, event);
    });
    void sse.closed.then(stop);
  });

  return r;
}
