/**
 * Live views: GET /api/events (every event but console bytes) and a build's console as a stream
 * that resumes from a byte offset (`?start=` or the Last-Event-ID header; each event's id is the
 * offset after its text).
 */
import Router from '@koa/router';
import { requireUser } from '../auth/authenticate.ts';
import type { BuildsService } from '../builds/builds.ts';
import type { LogReader } from '../builds/log-store.ts';
import { openSse } from '../http/sse.ts';
import type { EventBus } from './event-bus.ts';

/** The most console bytes in one server-sent event (a character split between two stays whole). */
const MAX_EVENT_BYTES = 256 * 1024;

export function eventRoutes(bus: EventBus, builds: BuildsService, readLog: LogReader): Router {
  const r = new Router({ prefix: '/api' });
  r.use(requireUser);

  r.get('/events', async (ctx) => {
    const sse = openSse(ctx);
    const stop = await bus.subscribe((event) => {
      if (event.type !== 'build.log') sse.send(event.type, event);
    });
    void sse.closed.then(stop);
  });

  r.get('/jobs/:name/builds/:ref/console', async (ctx) => {
    const row = await builds.resolveRow(ctx.params.name!, ctx.params.ref!);
    const resumeFrom = Number(ctx.get('Last-Event-ID') || ctx.query.start || 0);
    let sent = Number.isSafeInteger(resumeFrom) && resumeFrom >= 0 && resumeFrom <= row.log_size ? resumeFrom : 0;
    const sse = openSse(ctx);
    const decoder = new TextDecoder('utf-8'); // stream mode: a character split across chunks stays whole
    let pending: Promise<void> = Promise.resolve();
    let finished = row.state === 'finished' || row.state === 'cancelled';
    let gone = false;
    void sse.closed.then(() => (gone = true));
    const catchUp = (to: number) => {
      pending = pending.then(async () => {
        if (to <= sent) return;
        for await (const chunk of readLog(row.id, sent, to)) {
          // Events of at most 256 KiB: a browser parses each in one go, and a 4 MiB one stalls a frame.
          for (let at = 0; at < (chunk as Buffer).length; at += MAX_EVENT_BYTES) {
            if (gone) return; // the viewer left: read no further
            const part = (chunk as Buffer).subarray(at, at + MAX_EVENT_BYTES);
            sent += part.length;
            // A slow viewer of a large log must not make the master hold the whole log for it.
            if (!sse.send('log', decoder.decode(part, { stream: true }), sent)) await sse.drained();
          }
        }
      }).catch(() => sse.close()); // e.g. the database went away: the viewer reconnects from its last offset
      return pending;
    };
    const stop = await bus.subscribe((event) => {
      if (event.type === 'build.log' && event.buildId === row.id) void catchUp(event.size);
      if (event.type === 'build.finished' && event.queueId === row.id) {
        finished = true;
        void pending.then(async () => {
          const latest = await builds.resolveRow(ctx.params.name!, String(row.number ?? ctx.params.ref));
          await catchUp(latest.log_size);
          sse.send('end', { result: event.result }, sent);
          sse.close();
        });
      }
    });
    void sse.closed.then(stop);
    // Whatever was logged before we subscribed (nothing is missed: later appends also publish).
    // Not awaited: Koa starts sending the response only once this handler returns, and with
    // backpressure a large log could not be caught up before that.
    const latest = await builds.resolveRow(ctx.params.name!, String(row.number ?? ctx.params.ref));
    void catchUp(latest.log_size).then(() => {
      if (finished || latest.state === 'finished') {
        sse.send('end', { result: latest.result }, sent);
        sse.close();
      }
    });
  });
  return r;
}
