/**
 * "Build periodically": every minute, at its start, each job whose cron spec matches that minute
 * gets a build (cause "Started by timer", the parameters' defaults). A tick is claimed with a row
 * in cron_ticks, so several masters fire it once. Minutes missed while this master was busy are
 * caught up (not across restarts, as in Jenkins).
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { matches, parseCron, type CronSchedule } from '../../../shared/src/cron.ts';
import { StoredJobDocument } from '../../../shared/src/job.ts';
import type { BuildsService } from '../builds/builds.ts';
import { DomainError } from '../errors.ts';
import { MINUTE, MinuteTimer } from './minute-timer.ts';
import type { Logger } from '../log.ts';
import { sqlTime, systemClock, type Clock } from '../clock.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const IdConfigRow = z.object({ id: z.coerce.number(), config: z.unknown() });
const JobIdRow = z.object({ job_id: z.coerce.number() });
const MAX_CATCH_UP_MINUTES = 60;

export class CronScheduler {
  readonly #pool: DatabasePool;
  readonly #builds: BuildsService;
  readonly #log: Logger;
  readonly #defaultZone: string;
  readonly #now: Clock;
  readonly #cache = new Map<string, CronSchedule>();
  readonly #timer: MinuteTimer;
  #lastMinute = 0;

  constructor(deps: { pool: DatabasePool; builds: BuildsService; log: Logger; defaultZone?: string; now?: Clock }) {
    this.#pool = deps.pool;
    this.#builds = deps.builds;
    this.#log = deps.log;
    this.#defaultZone = deps.defaultZone ?? 'UTC';
    this.#now = deps.now ?? systemClock;
    this.#timer = new MinuteTimer(this.#now, (minute) => this.#minute(minute));
  }

  /** Runs a tick at the start of every minute from now on. */
  start(): void {
    this.#lastMinute = Math.floor(this.#now() / MINUTE) * MINUTE;
    this.#timer.start();
  }

  stop(): Promise<void> {
    return this.#timer.stop();
  }

  async #minute(current: number): Promise<void> {
    const from = Math.max(this.#lastMinute + MINUTE, current - (MAX_CATCH_UP_MINUTES - 1) * MINUTE);
    this.#lastMinute = current;
    for (let m = from; m <= current; m += MINUTE) await this.tick(new Date(m)).catch((err) => this.#log.warn({ err: (err as Error).message }, 'cron tick failed'));
  }

  /** Fires every job whose spec matches `minute`; returns how many builds this master queued. */
  async tick(minute: Date): Promise<number> {
    const jobs = await this.#pool.any(sql.type(IdConfigRow)`
      SELECT id, config FROM jobs WHERE coalesce(config -> 'triggers' ->> 'cron', '') <> ''`);
    let fired = 0;
    for (const row of jobs) {
      const job = StoredJobDocument.parse(row.config);
      if (job.disabled || !job.triggers.cron) continue;
      let schedule: CronSchedule;
      try {
        schedule = this.#schedule(job.name, job.triggers.cron);
      } catch (err) {
        this.#log.warn({ job: job.name, err: (err as Error).message }, 'invalid cron spec');
        continue;
      }
      if (!matches(schedule, minute)) continue;
      const claimed = await this.#pool.maybeOneFirst(sql.type(JobIdRow)`
        INSERT INTO cron_ticks (job_id, minute) VALUES (${row.id}, ${minute.toISOString()}) ON CONFLICT DO NOTHING RETURNING job_id`);
      if (claimed === null) continue; // another master fired this tick
      try {
        await this.#builds.trigger(job.name, {}, { kind: 'timer' }, [], { quietPeriod: 0 }); // Jenkins' TimerTrigger schedules with quiet period 0
        fired++;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        this.#log.warn({ job: job.name, err: err.message }, 'timer trigger refused');
      }
    }
    await this.#pool.query(sql.unsafe`DELETE FROM cron_ticks WHERE minute < ${sqlTime(this.#now() - 24 * 3600_000)}`);
    return fired;
  }

  #schedule(name: string, spec: string): CronSchedule {
    const key = `${name}\n${spec}`;
    let s = this.#cache.get(key);
    if (!s) {
      s = parseCron(spec, { seed: name, defaultZone: this.#defaultZone });
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, s);
    }
    return s;
  }
}
