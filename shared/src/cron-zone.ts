/**
 * Time-zone arithmetic for cron: which zone ids Jenkins accepts on a `TZ=` line, and the UTC offset
 * of a zone at an instant, through Intl.DateTimeFormat (no Temporal, no tz database of our own).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
const resolved = new Map<string, string | null>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone id Intl resolves `zone` to, or null when Intl does not know it. */
function resolveZone(zone: string): string | null {
  let r = resolved.get(zone);
  if (r === undefined) {
    try {
      r = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      r = null;
    }
    if (resolved.size > 1000) resolved.clear();
    resolved.set(zone, r);
  }
  return r;
}

/** Any zone Intl knows (used for the server's default zone). */
export function isKnownTimeZone(zone: string): boolean {
  return zone.length > 0 && resolveZone(zone) !== null;
}

/**
 * CronTabList.getValidTimezone: Jenkins accepts exactly the ids of java.util.TimeZone.getAvailableIDs(),
 * case-sensitively. We accept what Intl knows, in the shape of those ids (every '/'-separated part
 * starts with a capital, as all 631 Java ids do; no "+01:00" offsets), and reject a miscased spelling
 * of a zone Intl resolves to itself ("utc", "Europe/berlin", "EUROPE/BERLIN").
 */
export function isJenkinsTimeZoneId(zone: string): boolean {
  if (!/^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)*$/.test(zone)) return false;
  const resolved = resolveZone(zone);
  if (resolved === null) return false;
  return !(resolved !== zone && resolved.toLowerCase() === zone.toLowerCase());
}

/** Zones whose offset never changes: no DST bookkeeping needed. */
export function isFixedOffsetZone(zone: string): boolean {
  const resolved = resolveZone(zone) ?? zone;
  return resolved === 'UTC' || resolved === 'GMT' || resolved.startsWith('Etc/');
}

/** Date.UTC that also means years 0-99 literally. */
export function utcMillis(year: number, month0: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** The zone's offset from UTC at `epochMs`, in milliseconds (local = UTC + offset), straight from Intl. */
export function zoneOffsetMs(zone: string, epochMs: number): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  const f = formatterFor(zone);
  // "7/1/2026, 02:00:00" -- format() is about twice as fast as formatToParts().
  const m = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/.exec(f.format(whole));
  if (m) {
    return utcMillis(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])) - whole;
  }
  const v: Record<string, number> = {};
  let bc = false;
  for (const part of f.formatToParts(whole)) {
    if (part.type === 'era') bc = part.value.startsWith('B');
    else if (part.type !== 'literal') v[part.type] = Number(part.value);
  }
  const year = v.year ?? 1970;
  return utcMillis(bc ? 1 - year : year, (v.month ?? 1) - 1, v.day ?? 1, v.hour ?? 0, v.minute ?? 0, v.second ?? 0) - whole;
}

// ---- offset changes ---------------------------------------------------------------------------------
//
// Per zone and UTC year, the minutes at which the offset changes, found once by sampling the offset
// every SAMPLE_DAYS and bisecting each change down to the minute, then cached. Two changes closer
// together than SAMPLE_DAYS that cancel out would be missed; no real zone's rules come near that.

const MINUTE_MS = 60_000;
const SAMPLE_MS = 3 * 24 * 60 * MINUTE_MS;

interface YearOffsets {
  /** Offset at the first instant of the year. */
  readonly start: number;
  /** First minute of each new offset, start < at <= next year's start, ascending. */
  readonly changes: readonly { readonly at: number; readonly offset: number }[];
}

const years = new Map<string, YearOffsets>();

function yearOf(epochMs: number): number {
  return new Date(epochMs).getUTCFullYear();
}

function yearOffsets(zone: string, year: number): YearOffsets {
  const key = `${zone}\u0000${year}`;
  let y = years.get(key);
  if (y) return y;
  const from = utcMillis(year, 0, 1);
  const to = utcMillis(year + 1, 0, 1);
  const start = zoneOffsetMs(zone, from);
  const changes: { at: number; offset: number }[] = [];
  let a = from;
  let offA = start;
  while (a < to) {
    const b = Math.min(a + SAMPLE_MS, to);
    const offB = zoneOffsetMs(zone, b);
    if (offB !== offA) {
      // smallest minute in (a, b] whose offset is not offA
      let lo = a;
      let hi = b;
      while (hi - lo > MINUTE_MS) {
        const mid = lo + Math.floor((hi - lo) / MINUTE_MS / 2) * MINUTE_MS;
        if (zoneOffsetMs(zone, mid) !== offA) hi = mid;
        else lo = mid;
      }
      const offset = hi === b ? offB : zoneOffsetMs(zone, hi);
      changes.push({ at: hi, offset });
      a = hi;
      offA = offset; // if another change follows before b, the next round finds it
      continue;
    }
    a = b;
    offA = offB;
  }
  y = { start, changes };
  if (years.size > 5000) years.clear();
  years.set(key, y);
  return y;
}

/** The zone's offset at a minute instant, from the cached change list. */
export function cachedOffsetMs(zone: string, epochMs: number): number {
  const y = yearOffsets(zone, yearOf(epochMs));
  let off = y.start;
  for (const c of y.changes) {
    if (c.at > epochMs) break;
    off = c.offset;
  }
  return off;
}

/** The first offset change in (a, b], or null. */
export function firstOffsetChange(zone: string, a: number, b: number): number | null {
  for (let year = yearOf(a); year <= yearOf(b); year++) {
    for (const c of yearOffsets(zone, year).changes) {
      if (c.at > b) return null;
      if (c.at > a) return c.at;
    }
  }
  return null;
}

/** The last offset change in (a, b], or null. */
export function lastOffsetChange(zone: string, a: number, b: number): number | null {
  for (let year = yearOf(b); year >= yearOf(a); year--) {
    const changes = yearOffsets(zone, year).changes;
    for (let i = changes.length - 1; i >= 0; i--) {
      const at = changes[i]?.at ?? 0;
      if (at <= a) return null;
      if (at <= b) return at;
    }
  }
  return null;
}
