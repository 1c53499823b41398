/**
 * Jenkins' cron syntax ("Build periodically", "Poll SCM"), as hudson.scheduler.CronTabList / CronTab /
 * BaseParser / Hash implement it. A pure module: parse once, then ask whether a minute matches, or
 * for the next / previous matching minute.
 *
 * Spec: lines are split on \r?\n and trimmed as Java's String.trim() does; blank lines and lines
 * starting with '#' are ignored; line 1 may be `TZ=Area/City`; every other line is
 * `MINUTE HOUR DOM MONTH DOW` (digits only, `*`, `N-M`, `/S`, `,` lists, `H`, `H(a-b)`, `H/S`,
 * `H(a-b)/S`) or one of the @aliases. The schedule is the union of its lines; within a line all five
 * fields must match (day of month AND day of week, unlike Vixie cron); day of week 7 is Sunday.
 *
 * H: one java.util.Random stream seeded from the job's full name (see cron-hash.ts) is shared by
 * every H of the spec, left to right and across lines; without a seed every H is its lower bound.
 *
 * Time zones and DST: a line is evaluated in the spec's TZ= zone, else in the server's default zone.
 * What is checked is each real minute (an instant): it matches when its wall-clock fields in that zone
 * match. So a wall-clock time skipped by a spring-forward gap never runs that day, and one repeated by
 * a fall-back overlap runs twice (once per instant), exactly as Jenkins' per-minute Trigger.Cron does.
 * (Jenkins drops the TZ= zone for @alias lines through a quirk of CronTab.set; we apply it to them too.)
 *
 * nextRun / previousRun search at most `horizonDays` (ten years by default, enough for any 29 Feb)
 * and return null when nothing matches within it, e.g. for `0 0 31 2 *`.
 */
import { z } from 'zod';
import { ZERO_HASH, hashFromSeed, type CronHash } from './cron-hash.ts';
import { CronLineError, FIELD_LOWER, FIELD_UPPER, parseCronLine } from './cron-parser.ts';
import {
  cachedOffsetMs,
  firstOffsetChange,
  isFixedOffsetZone,
  isJenkinsTimeZoneId,
  isKnownTimeZone,
  lastOffsetChange,
  zoneOffsetMs,
} from './cron-zone.ts';
import { DAY_MINUTES, compileLine, lineMatchesWall, nextWall, prevWall, type CompiledLine } from './cron-wall.ts';

export { JavaRandom, ZERO_HASH, hashFromSeed, hashSeedLong, type CronHash } from './cron-hash.ts';
export { CRON_ALIASES } from './cron-parser.ts';
export { isJenkinsTimeZoneId } from './cron-zone.ts';

/** A spec Jenkins would refuse, with the message Jenkins gives. */
export class CronSyntaxError extends Error {
  /** 1-based line of the spec (blank, comment and TZ= lines count). */
  readonly line: number;
  /** 0-based column within the trimmed line, as ANTLR reports it; null where Jenkins gives none. */
  readonly column: number | null;
  /** The message without its "line N:C: " prefix. */
  readonly detail: string;
  /** The trimmed line that failed (null for a bad TZ= line). */
  readonly input: string | null;
  /** What Jenkins' form validation shows: `Invalid input: "<line>": <message>` (or the TZ message). */
  readonly formMessage: string;
  constructor(message: string, line: number, column: number | null, detail: string, input: string | null) {
    super(message);
    this.name = 'CronSyntaxError';
    this.line = line;
    this.column = column;
    this.detail = detail;
    this.input = input;
    this.formMessage = input === null ? message : `Invalid input: "${input}": ${message}`;
  }
}

/** One parsed line: the values each field allows. */
export interface CronLine {
  /** 1-based line number within the spec. */
  readonly line: number;
  /** The trimmed line as written. */
  readonly text: string;
  /** What was parsed: the expansion of an @alias (e.g. "H H * * *"), else `text`. */
  readonly expanded: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0-6, Sunday = 0 (a 7 in the spec is folded into 0). */
  readonly daysOfWeek: readonly number[];
}

export interface CronSchedule {
  readonly spec: string;
  /** The zone every line is evaluated in: the TZ= zone, else the default zone given to parseCron. */
  readonly timeZone: string;
  /** The zone named on a TZ= first line, or null. */
  readonly specTimeZone: string | null;
  /** The lines that schedule something (none: the spec never runs). */
  readonly lines: readonly CronLine[];
}

export interface ParseCronOptions {
  /** Seed for H: the job's full name (e.g. "folder/job"). Omitted: every H takes its lower bound. */
  seed?: string;
  /** A hash stream to use instead of `seed` (tests use stubs). */
  hash?: CronHash;
  /** The server's zone for lines without TZ=. Default 'UTC'. */
  defaultZone?: string;
}

export interface SearchOptions {
  /** How far to look before giving up with null. Default 3653 days (ten years). */
  horizonDays?: number;
}

const DEFAULT_HORIZON_DAYS = 3653;
const MINUTE_MS = 60_000;

/** Java's String.trim(): strips every char <= U+0020 at both ends, and nothing else. */
function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

function valuesOf(mask: bigint, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi; v++) if (((mask >> BigInt(v)) & 1n) === 1n) out.push(v);
  return out;
}

/**
 * Bounds of a spec (Jenkins has none): parsing a line and searching its next run cost up to a
 * millisecond, and a spec is parsed while the master answers other requests.
 */
export const MAX_CRON_SPEC_LENGTH = 4096;
/** Schedule lines (blank, comment and TZ= lines do not count). */
export const MAX_CRON_LINES = 100;

/** Parses a whole spec (CronTabList.create). Throws CronSyntaxError with Jenkins' message. */
export function parseCron(spec: string, opts: ParseCronOptions = {}): CronSchedule {
  if (spec.length > MAX_CRON_SPEC_LENGTH) {
    const message = `A cron spec must be at most ${MAX_CRON_SPEC_LENGTH} characters, this one has ${spec.length}`;
    throw new CronSyntaxError(message, 1, null, message, null);
  }
  const defaultZone = opts.defaultZone ?? 'UTC';
  if (!isKnownTimeZone(defaultZone)) throw new RangeError(`Unknown default time zone '${defaultZone}'`);
  const hash = opts.hash ?? (opts.seed === undefined ? ZERO_HASH : hashFromSeed(opts.seed));
  const lines: CronLine[] = [];
  let specTimeZone: string | null = null;
  let lineNumber = 0;
  for (const raw of spec.split(/\r?\n/)) {
    lineNumber++;
    const text = javaTrim(raw);
    if (lineNumber === 1 && text.startsWith('TZ=')) {
      const zone = text.split('TZ=').join(''); // String.replace: every occurrence
      if (!isJenkinsTimeZoneId(zone)) {
        const message = `Invalid or unsupported timezone '${zone}'`;
        throw new CronSyntaxError(message, 1, null, message, null);
      }
      specTimeZone = zone;
      continue;
    }
    if (text.length === 0 || text.startsWith('#')) continue;
    if (lines.length === MAX_CRON_LINES) {
      const message = `A cron spec may have at most ${MAX_CRON_LINES} schedule lines`;
      throw new CronSyntaxError(message, lineNumber, null, message, null);
    }
    try {
      const parsed = parseCronLine(text, lineNumber, hash);
      lines.push(
        Object.freeze({
          line: lineNumber,
          text,
          expanded: parsed.spec,
          minutes: Object.freeze(valuesOf(parsed.bits[0], 0, 59)),
          hours: Object.freeze(valuesOf(parsed.bits[1], 0, 23)),
          daysOfMonth: Object.freeze(valuesOf(parsed.bits[2], 1, 31)),
          months: Object.freeze(valuesOf(parsed.bits[3], 1, 12)),
          daysOfWeek: Object.freeze(valuesOf(BigInt(parsed.dayOfWeek), 0, 6)),
        }),
      );
    } catch (e) {
      if (e instanceof CronLineError) {
        throw new CronSyntaxError(e.message, e.line, e.column, e.detail, text);
      }
      throw e;
    }
  }
  return Object.freeze({ spec, timeZone: specTimeZone ?? defaultZone, specTimeZone, lines: Object.freeze(lines) });
}

/** A zod schema for a spec that Jenkins would accept (the message is Jenkins' form message). */
export const CronSpecString = z.string().superRefine((value, ctx) => {
  try {
    parseCron(value);
  } catch (e) {
    if (!(e instanceof CronSyntaxError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.formMessage });
  }
});

// ---- sanity warnings (CronTab.checkSanity) --------------------------------------------------------

function hashify(spec: string): string | null {
  if (spec.includes('H')) return null;
  if (spec.startsWith('*/')) return `H${spec.slice(1)}`;
  if (/^\d+ .+$/.test(spec)) return `H ${spec.slice(spec.indexOf(' ') + 1)}`;
  const m = /^0(,(\d+)(,\d+)*)( .+)$/.exec(spec);
  if (m) {
    const period = Number(m[2]);
    if (period > 0) {
      let b = '';
      for (let i = period; i < 60; i += period) b += `,${i}`;
      if (b === m[1]) return `H/${period}${m[4] ?? ''}`;
    }
  }
  return null;
}

function lineSanity(line: CronLine): string | null {
  const spec = line.expanded;
  const fields = [line.minutes, line.hours, line.daysOfMonth, line.months, line.daysOfWeek];
  outer: for (let i = 0; i < 5; i++) {
    const allowed = new Set(fields[i]);
    for (let j = FIELD_LOWER[i as 0] ?? 0; j <= (FIELD_UPPER[i as 0] ?? 0); j++) {
      if (!allowed.has(j)) {
        // A sparse field; if it is not the minute field, the line runs every minute for a while.
        if (i > 0) {
          return `Do you really mean "every minute" when you say "${spec}"? Perhaps you meant "H ${spec.slice(spec.indexOf(' ') + 1)}" to poll once per hour`;
        }
        break outer;
      }
    }
  }
  const days = line.daysOfMonth.filter((d) => d < 31).length;
  if (days > 5 && days < 28) return 'Short cycles in the day-of-month field will behave oddly near the end of a month';
  const hashified = hashify(spec);
  if (hashified !== null) return `Spread load evenly by using \u2018${hashified}\u2019 rather than \u2018${spec}\u2019`;
  return null;
}

/**
 * The warnings Jenkins' form validation shows under a spec (CronTab.checkSanity), at most one per
 * line, in line order. Jenkins itself shows only the first. Throws CronSyntaxError for a bad spec.
 */
export function sanityWarnings(spec: string | CronSchedule, opts: ParseCronOptions = {}): string[] {
  const schedule = typeof spec === 'string' ? parseCron(spec, opts) : spec;
  const out: string[] = [];
  for (const line of schedule.lines) {
    const w = lineSanity(line);
    if (w !== null) out.push(w);
  }
  return out;
}

// ---- evaluation ----------------------------------------------------------------------------------

interface Compiled {
  zone: string;
  /** The zone's constant offset, or null when it has DST or other changes. */
  fixedOffset: number | null;
  lines: CompiledLine[];
}

const compiledCache = new WeakMap<CronSchedule, Compiled>();

function compile(s: CronSchedule): Compiled {
  let c = compiledCache.get(s);
  if (c) return c;
  const fixedOffset = isFixedOffsetZone(s.timeZone) ? zoneOffsetMs(s.timeZone, 0) : null;
  c = { zone: s.timeZone, fixedOffset, lines: s.lines.map(compileLine) };
  compiledCache.set(s, c);
  return c;
}

function offsetAt(c: Compiled, t: number): number {
  return c.fixedOffset ?? cachedOffsetMs(c.zone, t);
}

const wallMinuteOf = (t: number, offset: number): number => Math.floor((t + offset) / MINUTE_MS);

/** Does the minute containing `instant` match the schedule? */
export function matches(s: CronSchedule, instant: Date): boolean {
  const c = compile(s);
  if (c.lines.length === 0) return false;
  const t = Math.floor(instant.getTime() / MINUTE_MS) * MINUTE_MS;
  const wm = wallMinuteOf(t, offsetAt(c, t));
  return c.lines.some((l) => lineMatchesWall(l, wm));
}

function horizonMs(opts: SearchOptions): number {
  return (opts.horizonDays ?? DEFAULT_HORIZON_DAYS) * DAY_MINUTES * MINUTE_MS;
}

/**
 * Jenkins' ceil: the first matching minute at or after `from` (a partial minute rounds up), or null
 * when none comes within the horizon.
 */
export function nextRun(s: CronSchedule, from: Date, opts: SearchOptions = {}): Date | null {
  const c = compile(s);
  if (c.lines.length === 0) return null;
  let t = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS;
  const limit = t + horizonMs(opts);
  while (t <= limit) {
    // Find the next allowed wall-clock minute and move there in real time, unless the zone's offset
    // changes first: then start over at the first minute of the new offset. So a spring-forward gap's
    // wall times are skipped, and a fall-back overlap's wall times are visited a second time.
    const wm = wallMinuteOf(t, offsetAt(c, t));
    const wallLimit = wm + Math.ceil((limit - t) / MINUTE_MS) + 2 * DAY_MINUTES;
    let target: number | null = null;
    for (const l of c.lines) {
      const w = nextWall(l, wm, target ?? wallLimit);
      if (w !== null && (target === null || w < target)) target = w;
    }
    if (target === null) return null;
    const t2 = t + (target - wm) * MINUTE_MS;
    const change = c.fixedOffset === null ? firstOffsetChange(c.zone, t, Math.min(t2, limit)) : null;
    if (change === null) return t2 <= limit ? new Date(t2) : null;
    t = change;
  }
  return null;
}

/** Jenkins' floor: the last matching minute at or before `from` (seconds are dropped), or null. */
export function previousRun(s: CronSchedule, from: Date, opts: SearchOptions = {}): Date | null {
  const c = compile(s);
  if (c.lines.length === 0) return null;
  let t = Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS;
  const limit = t - horizonMs(opts);
  while (t >= limit) {
    const wm = wallMinuteOf(t, offsetAt(c, t));
    const wallLimit = wm - Math.ceil((t - limit) / MINUTE_MS) - 2 * DAY_MINUTES;
    let target: number | null = null;
    for (const l of c.lines) {
      const w = prevWall(l, wm, target ?? wallLimit);
      if (w !== null && (target === null || w > target)) target = w;
    }
    if (target === null) return null;
    const t2 = t - (wm - target) * MINUTE_MS;
    // The offset in force at t began at its last change; before that, wall times map differently.
    const change = c.fixedOffset === null ? lastOffsetChange(c.zone, Math.max(t2, limit), t) : null;
    if (change === null) return t2 >= limit ? new Date(t2) : null;
    t = change - MINUTE_MS;
  }
  return null;
}
