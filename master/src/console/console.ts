/**
 * The console, for people: progressive reads (Jenkins' progressiveText), the plain text with
 * optional timestamps, Timestamper's `/timestamps/` listing, and the live stream. Uploads and
 * appends are console-store.ts (called by the builds services under the build row's lock).
 */
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { BuildsService } from '../builds/builds.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ConsoleReader } from './console-reader.ts';
import { streamConsole } from './console-stream.ts';
import { isoPrefix, prefixLines } from './line-times.ts';
import type { TimestamperQuery } from './timestamper-format.ts';
import type { Clock } from '../clock.ts';

export interface ProgressiveRead {
  /** The console's size: where the next read starts (X-Text-Size). */
  size: number;
  /** More will come: the build is queued or running (X-More-Data). */
  more: boolean;
  body: Readable;
}

export class ConsoleService {
  readonly #builds: BuildsService;
  readonly #reader: ConsoleReader;
  readonly #bus: EventBus;
  readonly #now: Clock;
  constructor(deps: { builds: BuildsService; reader: ConsoleReader; bus: EventBus; now: Clock }) {
    this.#builds = deps.builds;
    this.#reader = deps.reader;
    this.#bus = deps.bus;
    this.#now = deps.now;
  }

  /**
   * Bytes from `start` to the current end (Jenkins restarts from 0 when start is past the end).
   * With `timestamps`, each line that starts in them gets `[ISO time] ` first.
   */
  async read(job: string, ref: string, start: number, timestamps: boolean): Promise<ProgressiveRead> {
    const row = await this.#builds.resolveRow(job, ref);
    const end = row.log_size;
    const from = start > end ? 0 : start;
    const more = row.state === 'queued' || row.state === 'running';
    if (!timestamps) return { size: end, more, body: this.#reader.bytes(row.id, from, end) };
    const pieces = this.#reader.pieces(row.id, Math.max(0, from - 1), end);
    return { size: end, more, body: Readable.from(prefixLines(pieces, from > 0, isoPrefix), { objectMode: false }) };
  }

  /** Timestamper's listing: one line per console line, its times, and with appendLog the line. */
  async timestamps(job: string, ref: string, query: TimestamperQuery): Promise<Readable> {
    const row = await this.#builds.resolveRow(job, ref);
    const startedAt = row.started_at ?? row.queued_at;
    const prefix = (at: number | null) => Buffer.from(at === null ? (query.appendLog ? ' ' : '') : `${query.format(at, startedAt)}${query.appendLog ? ' ' : ''}`);
    return Readable.from(prefixLines(this.#reader.pieces(row.id, 0, row.log_size), false, prefix, query.appendLog), { objectMode: false });
  }

  /** The live stream (console-stream.ts) from an event id, or from any offset (`anyOffset`). */
  stream(ctx: Context, job: string, ref: string, resumeFrom: number, anyOffset: boolean, times: boolean): Promise<void> {
    return streamConsole(ctx, { bus: this.#bus, builds: this.#builds, reader: this.#reader, now: this.#now }, job, ref, resumeFrom, anyOffset, times);
  }
}
