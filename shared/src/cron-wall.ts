/**
 * Wall-clock search for cron lines: per-field lookup tables, and the first / last allowed wall-clock
 * minute at or after / before a given one. Wall-clock minutes are counted from 1970-01-01 00:00 of the
 * zone's local time, on the proleptic Gregorian calendar; time zones are the caller's business.
 */

/** The allowed values of one line's fields (day of week 0-6, Sunday = 0). */
export interface CronFields {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
}

export const DAY_MINUTES = 1440;

export interface CompiledLine {
  minute: Uint8Array; // [60]
  hour: Uint8Array; // [24]
  dom: Uint8Array; // [32]
  month: Uint8Array; // [13]
  dow: Uint8Array; // [7]
  nextMinute: Int8Array; // first allowed >= i, or -1
  prevMinute: Int8Array; // last allowed <= i, or -1
  nextHour: Int8Array;
  prevHour: Int8Array;
  nextDom: Int8Array; // [33]: first allowed day >= i, or 99
  prevDom: Int8Array; // [32]: last allowed day <= i, or -1
}

function table(size: number, values: readonly number[]): Uint8Array {
  const t = new Uint8Array(size);
  for (const v of values) if (v >= 0 && v < size) t[v] = 1;
  return t;
}

function nextTable(allowed: Uint8Array, none: number): Int8Array {
  const t = new Int8Array(allowed.length + 1).fill(none);
  for (let i = allowed.length - 1; i >= 0; i--) t[i] = allowed[i] ? i : (t[i + 1] ?? none);
  return t;
}

function prevTable(allowed: Uint8Array): Int8Array {
  const t = new Int8Array(allowed.length).fill(-1);
  for (let i = 0; i < allowed.length; i++) t[i] = allowed[i] ? i : i > 0 ? (t[i - 1] ?? -1) : -1;
  return t;
}

export function compileLine(l: CronFields): CompiledLine {
  const minute = table(60, l.minutes);
  const hour = table(24, l.hours);
  const dom = table(32, l.daysOfMonth);
  return {
    minute,
    hour,
    dom,
    month: table(13, l.months),
    dow: table(7, l.daysOfWeek),
    nextMinute: nextTable(minute, -1),
    prevMinute: prevTable(minute),
    nextHour: nextTable(hour, -1),
    prevHour: prevTable(hour),
    nextDom: nextTable(dom, 99),
    prevDom: prevTable(dom),
  };
}

// Proleptic Gregorian calendar on day numbers (days since 1970-01-01), after H. Hinnant.
function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

const dayOfWeek = (day: number): number => (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday

export function lineMatchesWall(l: CompiledLine, wallMinute: number): boolean {
  const day = Math.floor(wallMinute / DAY_MINUTES);
  const mod = wallMinute - day * DAY_MINUTES;
  const { m, d } = civilFromDays(day);
  return !!(l.minute[mod % 60] && l.hour[Math.floor(mod / 60)] && l.dom[d] && l.month[m] && l.dow[dayOfWeek(day)]);
}

/** First wall-clock minute >= wm (minutes since the local epoch) allowed by the line, up to `limit`. */
export function nextWall(l: CompiledLine, wm: number, limit: number): number | null {
  let day = Math.floor(wm / DAY_MINUTES);
  let h = Math.floor((wm - day * DAY_MINUTES) / 60);
  let mi = wm - day * DAY_MINUTES - h * 60;
  while (day * DAY_MINUTES <= limit) {
    const { y, m, d } = civilFromDays(day);
    const nd = l.month[m] ? (l.nextDom[d] ?? 99) : 99;
    if (nd > daysInMonth(y, m)) {
      day = m === 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, m + 1, 1);
      h = 0;
      mi = 0;
    } else if (nd !== d || !l.dow[dayOfWeek(day)]) {
      day += nd !== d ? nd - d : 1;
      h = 0;
      mi = 0;
    } else {
      const hh = l.nextHour[h] ?? -1;
      if (hh < 0) {
        day++;
        h = 0;
        mi = 0;
        continue;
      }
      if (hh !== h) {
        h = hh;
        mi = 0;
      }
      const mm = l.nextMinute[mi] ?? -1;
      if (mm < 0) {
        mi = 0;
        if (++h > 23) {
          day++;
          h = 0;
        }
        continue;
      }
      const found = day * DAY_MINUTES + h * 60 + mm;
      return found <= limit ? found : null;
    }
  }
  return null;
}

/** Last wall-clock minute <= wm allowed by the line, down to `limit`. */
export function prevWall(l: CompiledLine, wm: number, limit: number): number | null {
  let day = Math.floor(wm / DAY_MINUTES);
  let h = Math.floor((wm - day * DAY_MINUTES) / 60);
  let mi = wm - day * DAY_MINUTES - h * 60;
  while ((day + 1) * DAY_MINUTES - 1 >= limit) {
    const { y, m, d } = civilFromDays(day);
    const pd = l.month[m] ? (l.prevDom[d] ?? -1) : -1;
    if (pd < 1) {
      day = daysFromCivil(y, m, 1) - 1;
      h = 23;
      mi = 59;
    } else if (pd !== d || !l.dow[dayOfWeek(day)]) {
      day -= pd !== d ? d - pd : 1;
      h = 23;
      mi = 59;
    } else {
      const hh = l.prevHour[h] ?? -1;
      if (hh < 0) {
        day--;
        h = 23;
        mi = 59;
        continue;
      }
      if (hh !== h) {
        h = hh;
        mi = 59;
      }
      const mm = l.prevMinute[mi] ?? -1;
      if (mm < 0) {
        mi = 59;
        if (--h < 0) {
          day--;
          h = 23;
        }
        continue;
      }
      const found = day * DAY_MINUTES + h * 60 + mm;
      return found >= limit ? found : null;
    }
  }
  return null;
}

