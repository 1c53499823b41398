/**
 * A build's console as server-sent events, resumable byte-exactly: each `log` event's id is the
 * byte offset just past the bytes whose text it and the events before it delivered. Text is cut
 * only at character boundaries (a character split across stored rows or reads waits for its last
 * byte), so resuming from any id gives exactly the rest — no byte lost, none repeated.
 * With `times`, a `time` event (epoch ms, or null: unknown) precedes text stored at another time
 * than the text before it; each line's time is that of its first byte.
 */
import type { Context } from 'koa';
import type { BuildsService } from '../builds/builds.ts';
import type { EventBus } from '../events/event-bus.ts';
import { openSse } from '../http/sse.ts';
import type { Clock } from '../clock.ts';
import type { ConsoleReader } from './console-reader.ts';
import { completeUpTo, continuationPrefix } from './utf8.ts';

/** The most console bytes in one event: a browser parses each in one go, and a 4 MiB one stalls a frame. */
export const MAX_EVENT_BYTES = 256 * 1024;

const utf8 = new TextDecoder('utf-8');

export interface ConsoleStreamDeps {
  bus: EventBus;
  builds: BuildsService;
  reader: ConsoleReader;
  now: Clock;
}

/**
 * Streams the console of build `ref` of `job` from byte `resumeFrom` (or 0 when out of range) to
 * the request. `resumeFrom` is an event id (a character boundary of ours) or, with `anyOffset`,
 * any byte offset: one inside a character starts at the next whole one.
 */
export async function streamConsole(ctx: Context, deps: ConsoleStreamDeps, job: string, ref: string, resumeFrom: number, anyOffset: boolean, times: boolean): Promise<void> {
  const row = await deps.builds.resolveRow(job, ref);
  /** Bytes whose text went out. */
  let sent = Number.isSafeInteger(resumeFrom) && resumeFrom >= 0 && resumeFrom <= row.log_size ? resumeFrom : 0;
  /** Bytes read past `sent`: the start of a character whose end is not read yet. */
  let held: Buffer = Buffer.alloc(0);
  /** A start inside a character: its tail is skipped (it has no text of its own). */
  let aligning = anyOffset && sent > 0;
  let lastTime: number | null | undefined;
  const sse = openSse(ctx, deps.now);
  let pending: Promise<void> = Promise.resolve();
  let finished = row.state === 'finished' || row.state === 'cancelled';
  let gone = false;
  void sse.closed.then(() => (gone = true));

  /** Sends `bytes` (complete characters) as text, after `skip` bytes that have none; false when the viewer is behind. */
  const deliver = (bytes: Buffer, skip = 0) => {
    sent += skip + bytes.length;
    return sse.send('log', utf8.decode(bytes), sent);
  };
  const catchUp = (to: number) => {
    pending = pending.then(async () => {
      const from = sent + held.length;
      if (to <= from) return;
      for await (const piece of deps.reader.pieces(row.id, from, to)) {
        for (let at = 0; at < piece.data.length; at += MAX_EVENT_BYTES) {
          if (gone) return; // the viewer left: read no further
          let part = piece.data.subarray(at, at + MAX_EVENT_BYTES);
          let skip = 0;
          if (aligning) {
            skip = continuationPrefix(part);
            part = part.subarray(skip);
            aligning = false;
          }
          const bytes = held.length > 0 ? Buffer.concat([held, part]) : part;
          const cut = completeUpTo(bytes);
          held = Buffer.from(bytes.subarray(cut)); // a copy: at most 3 bytes, not a view that pins the row
          if (cut === 0 && skip === 0) continue;
          if (times && piece.at !== lastTime) {
            lastTime = piece.at;
            sse.send('time', piece.at);
          }
          // A slow viewer of a large log must not make the master hold the whole log for it.
          if (!deliver(bytes.subarray(0, cut), skip)) await sse.drained();
        }
      }
    }).catch(() => sse.close()); // e.g. the database went away: the viewer reconnects from its last offset
    return pending;
  };
  /** The log is complete: bytes of a character it ends inside go out as they are (U+FFFD), then the result. */
  let ended = false;
  const end = (result: string | null) => {
    if (ended) return;
    ended = true;
    if (held.length > 0) deliver(held);
    held = Buffer.alloc(0);
    sse.send('end', { result }, sent);
    sse.close();
  };
  const stop = await deps.bus.subscribe((event) => {
    if (event.type === 'build.log' && event.buildId === row.id) void catchUp(event.size);
    if (event.type === 'build.finished' && event.queueId === row.id) {
      finished = true;
      void pending.then(async () => {
        const latest = await deps.builds.resolveRow(job, String(row.number ?? ref));
        await catchUp(latest.log_size);
        end(event.result);
      });
    }
  });
  void sse.closed.then(stop);
  // Whatever was logged before we subscribed (nothing is missed: later appends also publish).
  // Not awaited: Koa starts sending the response only once this handler returns, and with
  // backpressure a large log could not be caught up before that.
  const latest = await deps.builds.resolveRow(job, String(row.number ?? ref));
  void catchUp(latest.log_size).then(() => {
    if (finished || latest.state === 'finished') end(latest.result);
  });
}
