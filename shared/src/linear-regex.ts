/**
 * Regular expressions written by users (a list view's includeRegex), matched in time linear in the
 * input by RE2 (the re2js port: pure JavaScript, so the master and the browser run the same engine).
 * JavaScript's own engine backtracks: `((a+)+)\2b` against `aaaa…-` ran for minutes and froze the
 * master. RE2 has no backreferences or lookarounds, so such patterns are refused with a reason.
 *
 * Linear in the input is not yet cheap: RE2 expands counted repetitions, so `\p{L}{999}` repeated a
 * few times took seconds to compile and milliseconds per job name to match. A pattern's size after
 * expansion is therefore bounded before it is compiled (`expandedWeight`).
 */
import { RE2JS } from 're2js';

/** At most this many characters of pattern text. */
export const MAX_REGEX_LENGTH = 1000;
/** At most this expanded size (about RE2 instructions; a Unicode class counts as UNICODE_CLASS_WEIGHT). */
export const MAX_REGEX_WEIGHT = 1000;
/** `\p{…}` classes hold hundreds of ranges each: copying them is what makes compiling dear. */
const UNICODE_CLASS_WEIGHT = 20;

export type LinearRegex = { ok: true; matches: (input: string) => boolean } | { ok: false; problem: string };

/** Compiles `source` for whole-input matching (as Java's `Pattern.matches`), or says why it cannot. */
export function compileLinearRegex(source: string): LinearRegex {
  if (source.length > MAX_REGEX_LENGTH) return { ok: false, problem: `must be at most ${MAX_REGEX_LENGTH} characters` };
  const weight = expandedWeight(source);
  if (weight > MAX_REGEX_WEIGHT) {
    return { ok: false, problem: `is too complex: it expands to about ${weight} steps, at most ${MAX_REGEX_WEIGHT} are allowed (use fewer or smaller {n} repetitions)` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    return { ok: false, problem: explain(source, (err as Error).message) };
  }
  return { ok: true, matches: (input) => re.matches(input) };
}

/** RE2's message, with the features it lacks named (they are what makes other engines exponential). */
function explain(source: string, message: string): string {
  const why = 'RE2 syntax matches in linear time, and has none';
  if (/`\\([1-9]|k)/.test(message)) return `must not use backreferences such as \\1 or \\k<name> (${why})`;
  if (/\(\?<?[=!]/.test(source)) return `must not use lookahead or lookbehind such as (?=…) or (?<!…) (${why})`;
  return `must be a valid RE2 regular expression: ${message.replace(/^error parsing regexp: /, '')}`;
}

/**
 * An upper estimate of the pattern's size once RE2 has expanded its repetitions: atoms count 1
 * (a Unicode class more), a group the sum of its contents, `{n,m}` multiplies what it repeats by
 * its largest count. It reads the text in one pass without recursion; text RE2 would refuse only
 * needs some finite weight here, as compiling refuses it next.
 */
export function expandedWeight(source: string): number {
  const frames: { total: number; last: number }[] = [{ total: 0, last: 0 }];
  let top = frames[0]!;
  const atom = (weight: number) => {
    top.total += weight;
    top.last = weight;
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const stop = end === -1 ? source.length : end;
        top.total += stop - (i + 2);
        top.last = 1;
        i = end === -1 ? stop : end + 2;
        continue;
      }
      i += 2;
      if ((next === 'p' || next === 'P' || next === 'x') && source[i] === '{') i = closing(source, i, '}');
      else if (next === 'p' || next === 'P') i++;
      atom(next === 'p' || next === 'P' ? UNICODE_CLASS_WEIGHT : 1);
    } else if (c === '[') {
      const end = classEnd(source, i);
      atom(/\\[pP]/.test(source.slice(i, end)) ? UNICODE_CLASS_WEIGHT : 1);
      i = end;
    } else if (c === '(') {
      frames.push((top = { total: 0, last: 0 }));
      i++;
      if (source[i] === '?') {
        // (?:…, (?i), (?i:…, (?P<name>…: skip the flags or name; a ')' closes a flags-only group.
        while (i < source.length && !':)>'.includes(source[i]!)) i++;
        if (source[i] !== ')') i++;
      }
    } else if (c === ')') {
      const group = frames.length > 1 ? frames.pop()! : { total: 0, last: 0 };
      top = frames.at(-1)!;
      atom(group.total + 1);
      i++;
    } else if (c === '|') {
      top.total += 1;
      top.last = 0;
      i++;
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i, i + 24))) {
      const [, min, comma, max] = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24))!;
      const times = Math.max(1, max ? Number(max) : comma ? Number(min) + 1 : Number(min));
      top.total += top.last * (times - 1) + 1;
      top.last = top.last * times + 1;
      i = closing(source, i, '}');
    } else {
      if (c === '*' || c === '+' || c === '?') top.last += 1;
      top.total += 1;
      if (c !== '*' && c !== '+' && c !== '?') top.last = 1;
      i++;
    }
  }
  // Unclosed groups (RE2 refuses them) still count.
  return frames.reduce((sum, f) => sum + f.total, 0);
}

/** The index after the first `close` at or after `from` (the end of the text if none). */
function closing(source: string, from: number, close: string): number {
  const at = source.indexOf(close, from);
  return at === -1 ? source.length : at + 1;
}

/** The index after a character class that starts at `start` ('['), with its escapes and [:name:] parts. */
function classEnd(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === '^') i++;
  if (source[i] === ']') i++; // a leading ']' is a literal
  while (i < source.length && source[i] !== ']') {
    if (source[i] === '\\') i += 2;
    else if (source.startsWith('[:', i)) i = closing(source, i + 2, ']');
    else i++;
  }
  return i + 1;
}
