/**
 * The query of Jenkins Timestamper's `/timestamps/` page, so its scripts work here: `time=<Java
 * SimpleDateFormat>` (clock time, in `timeZone`), `elapsed=<DurationFormatUtils>` (since the build
 * started), `precision=N|seconds|milliseconds|…` (elapsed seconds; the default is 3), several of
 * them joined by a space, and `appendLog` (the line after them). Patterns are bounded and only
 * the common letters are known (y M d H h m s S a, text in quotes); others are refused, and so
 * are startLine, endLine, currentTime and locale (a 400 rather than a silently different answer).
 */
import { ValidationError } from '../errors.ts';

export interface TimestamperQuery {
  /** Each line's prefix from its time (null: unknown) and the build's start. */
  format(at: number, startedAt: number): string;
  appendLog: boolean;
}

type Fields = Record<string, string | number | undefined>;
const MAX_PATTERN = 100;
const PRECISIONS: Record<string, number> = { seconds: 0, milliseconds: 3, microseconds: 6, nanoseconds: 9 };

export function parseTimestamperQuery(query: Fields): TimestamperQuery {
  const formats: ((at: number, startedAt: number) => string)[] = [];
  const zone = query.timeZone === undefined ? undefined : String(query.timeZone).replace('GMT ', 'GMT+');
  if (zone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      throw new ValidationError(`Unknown timeZone '${zone}'`);
    }
  }
  for (const name of ['startLine', 'endLine', 'currentTime', 'locale']) {
    if (query[name] !== undefined) throw new ValidationError(`Timestamper's ${name} is not supported here`);
  }
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  // The order of the query's parameters is the order of the columns, as in Timestamper.
  for (const [name, raw] of Object.entries(query)) {
    for (const value of list(raw)) {
      if (name === 'time') {
        const tokens = tokenize(value);
        formats.push((at) => render(tokens, clockFields(at, zone)));
      } else if (name === 'elapsed') {
        const tokens = tokenize(value);
        const units = new Set(tokens.flatMap((t) => ('letter' in t ? [t.letter] : [])));
        formats.push((at, startedAt) => render(tokens, durationFields(Math.max(0, at - startedAt), units)));
      } else if (name === 'precision') {
        const digits = PRECISIONS[value.toLowerCase()] ?? (/^\d$/.test(value) ? Number(value) : NaN);
        if (Number.isNaN(digits)) throw new ValidationError(`precision is a number of decimals (0–9) or seconds/milliseconds/microseconds/nanoseconds, got '${value}'`);
        formats.push((at, startedAt) => (Math.max(0, at - startedAt) / 1000).toFixed(digits));
      }
    }
  }
  if (formats.length === 0) formats.push((at, startedAt) => (Math.max(0, at - startedAt) / 1000).toFixed(3));
  const appendLog = query.appendLog !== undefined && (query.appendLog === '' || String(query.appendLog) === 'true');
  return { format: (at, startedAt) => formats.map((f) => f(at, startedAt)).join(' '), appendLog };
}

type Token = { letter: string; width: number } | { text: string };

/** A SimpleDateFormat-style pattern: runs of one letter, 'quoted text' ('' is a quote), other characters as they are. */
function tokenize(pattern: string): Token[] {
  if (pattern.length > MAX_PATTERN) throw new ValidationError(`A time pattern is at most ${MAX_PATTERN} characters`);
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const close = pattern.indexOf("'", i + 1);
      if (close < 0) throw new ValidationError(`Unclosed quote in the time pattern '${pattern}'`);
      tokens.push({ text: close === i + 1 ? "'" : pattern.slice(i + 1, close) });
      i = close + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!'yMdHhmsSa'.includes(c)) throw new ValidationError(`The time pattern letter '${c}' is not supported (use y M d H h m s S a)`);
      let j = i;
      while (pattern[j] === c) j++;
      tokens.push({ letter: c, width: j - i });
      i = j;
    } else {
      tokens.push({ text: c });
      i++;
    }
  }
  return tokens;
}

function render(tokens: Token[], f: Fields): string {
  return tokens
    .map((t) => {
      if ('text' in t) return t.text;
      const v = f[t.letter];
      if (v === undefined) return '';
      if (typeof v === 'string') return v;
      if (t.letter === 'y' && t.width === 2) return String(v % 100).padStart(2, '0');
      return String(v).padStart(t.width, '0');
    })
    .join('');
}

function clockFields(at: number, timeZone: string | undefined): Fields {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const hour = Number(parts.hour);
  const ms = ((at % 1000) + 1000) % 1000;
  return { y: Number(parts.year), M: Number(parts.month), d: Number(parts.day), H: hour, h: hour % 12 || 12, m: Number(parts.minute), s: Number(parts.second), S: ms, a: hour < 12 ? 'AM' : 'PM' };
}

const UNIT_MS: [string, number][] = [['d', 86_400_000], ['H', 3_600_000], ['m', 60_000], ['s', 1000], ['S', 1]];
/** DurationFormatUtils: each unit of the pattern takes what the larger units of the pattern left. */
function durationFields(ms: number, units: Set<string>): Fields {
  const f: Fields = {};
  let rest = ms;
  for (const [unit, size] of UNIT_MS) {
    if (!units.has(unit)) continue;
    f[unit] = Math.floor(rest / size);
    rest -= (f[unit] as number) * size;
  }
  return f;
}
