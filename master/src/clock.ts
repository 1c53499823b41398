/**
 * The master's one clock. Every time decision — a build's timeout, a silent agent, the quiet
 * period, an agent's online window, a session's age, the discarder's days, the cron minute — reads
 * it, and the times such decisions compare are written from it, never from PostgreSQL's now(), so
 * a test moves time forward instead of waiting for it. In production it is the real time.
 */
import { sql, type FragmentSqlToken } from 'slonik';

/** Milliseconds since the epoch, now. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A time of the clock as a SQL timestamptz (microsecond precision, as a column keeps it). */
export const sqlTime = (ms: number): FragmentSqlToken => sql.fragment`to_timestamp(${ms / 1000}::float8)`;
