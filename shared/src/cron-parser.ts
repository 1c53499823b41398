/**
 * One line of a Jenkins cron spec, parsed the way Jenkins' ANTLR 4 CrontabLexer/CrontabParser
 * (plus BaseParser) do it, down to the error messages and their columns.
 *
 *   startRule := expr[0] WS expr[1] WS expr[2] WS expr[3] WS expr[4] EOF
 *              | '@' ( yearly | annually | monthly | weekly | daily | midnight | hourly )   (rest ignored)
 *   expr      := term ( ',' expr )?
 *   term      := TOKEN '-' TOKEN ( '/' TOKEN )? | TOKEN | '*' ( '/' TOKEN )?
 *              | 'H' '(' TOKEN '-' TOKEN ')' ( '/' TOKEN )? | 'H' ( '/' TOKEN )?
 *   TOKEN     := [0-9]+        WS := [ \t]+
 *
 * Everything Jenkins reports is reproduced: the lexer's "token recognition error at: 'x'", ANTLR's
 * default error strategy ("extraneous input", "missing X at", "mismatched input ... expecting ...",
 * including the expected set remembered by its last sync), BaseParser's range/step messages, and
 * Integer.parseInt's overflow. Columns are those of the token ANTLR was looking at, 0-based; for
 * BaseParser's messages that is the token *after* the offending term, because the check runs in the
 * term's closing action. Tokens are lexed lazily, one ahead of the parser as ANTLR's
 * CommonTokenStream does, so the first error Jenkins would meet is the one reported.
 */
import type { CronHash } from './cron-hash.ts';

// Token types, numbered as ANTLR numbers them (expected-token sets print in this order).
const EOF = -1;
const TOKEN = 1;
const WS = 2;
const MINUS = 3;
const STAR = 4;
const DIV = 5;
const OR = 6;
const AT = 7;
const H = 8;
const LPAREN = 9;
const RPAREN = 10;
const YEARLY = 11;
const ANNUALLY = 12;
const MONTHLY = 13;
const WEEKLY = 14;
const DAILY = 15;
const MIDNIGHT = 16;
const HOURLY = 17;

const DISPLAY: Record<number, string> = {
  [EOF]: '<EOF>',
  [TOKEN]: 'TOKEN',
  [WS]: 'WS',
  [MINUS]: "'-'",
  [STAR]: "'*'",
  [DIV]: "'/'",
  [OR]: "','",
  [AT]: "'@'",
  [H]: "'H'",
  [LPAREN]: "'('",
  [RPAREN]: "')'",
  [YEARLY]: "'yearly'",
  [ANNUALLY]: "'annually'",
  [MONTHLY]: "'monthly'",
  [WEEKLY]: "'weekly'",
  [DAILY]: "'daily'",
  [MIDNIGHT]: "'midnight'",
  [HOURLY]: "'hourly'",
};

const SINGLE_CHAR: Record<string, number> = { '-': MINUS, '*': STAR, '/': DIV, ',': OR, '@': AT, H, '(': LPAREN, ')': RPAREN };
const KEYWORDS: readonly (readonly [string, number])[] = [
  ['yearly', YEARLY],
  ['annually', ANNUALLY],
  ['monthly', MONTHLY],
  ['weekly', WEEKLY],
  ['daily', DAILY],
  ['midnight', MIDNIGHT],
  ['hourly', HOURLY],
];

/** The line each alias stands for (CrontabParser.g4); parsed with the same hash stream. */
export const CRON_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  '@yearly': 'H H H H *',
  '@annually': 'H H H H *',
  '@monthly': 'H H H * *',
  '@weekly': 'H H * * H',
  '@daily': 'H H * * *',
  '@midnight': 'H H(0-2) * * *',
  '@hourly': 'H * * * *',
});
const ALIAS_OF: Record<number, string> = {
  [YEARLY]: 'H H H H *',
  [ANNUALLY]: 'H H H H *',
  [MONTHLY]: 'H H H * *',
  [WEEKLY]: 'H H * * H',
  [DAILY]: 'H H * * *',
  [MIDNIGHT]: 'H H(0-2) * * *',
  [HOURLY]: 'H * * * *',
};

/** BaseParser.LOWER_BOUNDS / UPPER_BOUNDS: minute, hour, day of month, month, day of week. */
export const FIELD_LOWER = [0, 0, 1, 1, 0] as const;
export const FIELD_UPPER = [59, 23, 31, 12, 7] as const;
const NO_STEP = 1;

/** A problem with one line, positioned as Jenkins positions it (column null: Jenkins gives none). */
export class CronLineError extends Error {
  readonly line: number;
  readonly column: number | null;
  readonly detail: string;
  constructor(line: number, column: number | null, detail: string) {
    super(column === null ? detail : `line ${line}:${column}: ${detail}`);
    this.name = 'CronLineError';
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

/** What a line sets: CronTab.bits[0..3] and dayOfWeek (bit 7 already folded into bit 0). */
export interface ParsedCronLine {
  /** What CronTab keeps as its spec: the line itself, or the expansion of its alias. */
  readonly spec: string;
  /** 64-bit masks of minute, hour, day of month and month, as Java longs (unsigned view). */
  readonly bits: readonly [bigint, bigint, bigint, bigint];
  /** The day-of-week mask as Jenkins' int, with 7 folded into 0. */
  readonly dayOfWeek: number;
}

interface Tok {
  readonly type: number;
  readonly text: string;
  readonly column: number;
}

/** MessageFormat's rendering of a Java int in an English locale ("1,000", "-58"). */
function fmtInt(n: number): string {
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

function escapeDisplay(s: string): string {
  return s.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

function setText(set: readonly number[]): string {
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  if (sorted.length === 1) return DISPLAY[sorted[0] ?? EOF] ?? '';
  return `{${sorted.map((t) => DISPLAY[t]).join(', ')}}`;
}

/** Parses one (already trimmed) line. `lineNumber` is only used for positions. */
export function parseCronLine(text: string, lineNumber: number, hash: CronHash): ParsedCronLine {
  return new LineParser(text, lineNumber, hash).parse();
}

class LineParser {
  readonly #text: string;
  readonly #line: number;
  readonly #hash: CronHash;
  readonly #tokens: Tok[] = [];
  #lexPos = 0;
  #lexedEof = false;
  #p = 0;
  /** DefaultErrorStrategy.nextTokensContext, reduced to the expected set it would report. */
  #saved: number[] | null = null;

  constructor(text: string, line: number, hash: CronHash) {
    this.#text = text;
    this.#line = line;
    this.#hash = hash;
  }

  // ---- lexer ------------------------------------------------------------------------------

  #lexOne(): Tok {
    const s = this.#text;
    const start = this.#lexPos;
    if (start >= s.length) {
      this.#lexedEof = true;
      return { type: EOF, text: '<EOF>', column: start };
    }
    const c = s[start] ?? '';
    let end = start + 1;
    let type: number;
    if (c >= '0' && c <= '9') {
      while (end < s.length && (s[end] ?? '') >= '0' && (s[end] ?? '') <= '9') end++;
      type = TOKEN;
    } else if (c === ' ' || c === '\t') {
      while (end < s.length && (s[end] === ' ' || s[end] === '\t')) end++;
      type = WS;
    } else if (SINGLE_CHAR[c] !== undefined) {
      type = SINGLE_CHAR[c];
    } else {
      // Keywords: follow the lexer DFA as long as some keyword still agrees with the input.
      let candidates = KEYWORDS;
      let k = 0;
      let matched: number | null = null;
      while (matched === null) {
        const ch = s[start + k];
        const next = ch === undefined ? [] : candidates.filter(([kw]) => kw[k] === ch);
        if (next.length === 0) this.#lexError(start, start + k);
        candidates = next;
        k++;
        const done = candidates.find(([kw]) => kw.length === k);
        if (done) matched = done[1];
      }
      type = matched;
      end = start + k;
    }
    this.#lexPos = end;
    return { type, text: s.slice(start, end), column: start };
  }

  /** Lexer.notifyListeners: the text from the token start through the character that failed. */
  #lexError(start: number, failAt: number): never {
    const s = this.#text;
    const cp = s.codePointAt(failAt);
    const text = s.slice(start, failAt) + (cp === undefined ? '' : String.fromCodePoint(cp));
    throw new CronLineError(this.#line, start, `token recognition error at: '${escapeDisplay(text)}'`);
  }

  #fetchTo(i: number): void {
    while (this.#tokens.length <= i && !this.#lexedEof) this.#tokens.push(this.#lexOne());
  }

  #LT(k: number): Tok {
    const i = this.#p + k - 1;
    this.#fetchTo(i);
    return this.#tokens[Math.min(i, this.#tokens.length - 1)] as Tok;
  }

  #LA(k: number): number {
    return this.#LT(k).type;
  }

  /** BufferedTokenStream.consume: moves on and immediately lexes the following token. */
  #consume(): Tok {
    const t = this.#LT(1);
    if (t.type !== EOF) {
      this.#p++;
      this.#fetchTo(this.#p);
    }
    return t;
  }

  // ---- ANTLR's DefaultErrorStrategy, specialised to this grammar ---------------------------------

  #fail(tok: Tok, detail: string): never {
    throw new CronLineError(this.#line, tok.column, detail);
  }

  #display(tok: Tok): string {
    return `'${escapeDisplay(tok.text)}'`;
  }

  /** sync() at a block that must start with one of `set` (startRule, the alias block, term). */
  #syncBlock(set: readonly number[]): void {
    const la = this.#LA(1);
    if (set.includes(la)) {
      this.#saved = null;
      return;
    }
    if (set.includes(this.#LA(2))) this.#fail(this.#LT(1), `extraneous input ${this.#display(this.#LT(1))} expecting ${setText(set)}`);
    this.#fail(this.#LT(1), `mismatched input ${this.#display(this.#LT(1))} expecting ${setText(set)}`);
  }

  /** sync() at an optional `( tok ... )?` block: remembers what could have come here. */
  #syncOptional(tok: number, expectedHere: readonly number[]): boolean {
    if (this.#LA(1) === tok) {
      this.#saved = null;
      return true;
    }
    if (this.#saved === null) this.#saved = [...expectedHere];
    return false;
  }

  /** Parser.match(ttype) with single-token deletion / insertion and the final mismatch. */
  #match(ttype: number, follow: readonly number[]): Tok {
    if (this.#LA(1) === ttype) return this.#consume();
    const cur = this.#LT(1);
    if (this.#LA(2) === ttype) this.#fail(cur, `extraneous input ${this.#display(cur)} expecting ${setText([ttype])}`);
    if (follow.includes(cur.type)) this.#fail(cur, `missing ${setText([ttype])} at ${this.#display(cur)}`);
    this.#fail(cur, `mismatched input ${this.#display(cur)} expecting ${setText(this.#saved ?? [ttype])}`);
  }

  /** The `token` rule: TOKEN, then Integer.parseInt of its text. */
  #number(follow: readonly number[]): number {
    const t = this.#match(TOKEN, follow);
    const digits = t.text.replace(/^0+(?=\d)/, '');
    if (digits.length > 10 || Number(digits) > 0x7fffffff) {
      throw new CronLineError(this.#line, null, `For input string: "${t.text}"`);
    }
    return Number(digits);
  }

  // ---- BaseParser ---------------------------------------------------------------------------

  #error(detail: string): never {
    this.#fail(this.#LT(1), detail);
  }

  #rangeCheck(value: number, field: number): void {
    const lo = FIELD_LOWER[field as 0] ?? 0;
    const hi = FIELD_UPPER[field as 0] ?? 0;
    if (value < lo || hi < value) this.#error(`${fmtInt(value)} is an invalid value. Must be within ${fmtInt(lo)} and ${fmtInt(hi)}`);
  }

  #doRange(start: number, end: number, step: number, field: number): bigint {
    this.#rangeCheck(start, field);
    this.#rangeCheck(end, field);
    if (step <= 0) this.#error(`step must be positive, but found ${fmtInt(step)}`);
    if (start > end) this.#error(`You mean ${fmtInt(end)}-${fmtInt(start)}?`);
    let bits = 0n;
    for (let i = start; i <= end; i = (i + step) | 0) bits |= 1n << BigInt(i & 63);
    return BigInt.asUintN(64, bits);
  }

  #doHash(s: number, e: number, step: number, field: number): bigint {
    this.#rangeCheck(s, field);
    this.#rangeCheck(e, field);
    const width = (e - s + 1) | 0;
    if (step > width) this.#error(`${fmtInt(step)} is an invalid value. Must be within 1 and ${fmtInt(width)}`);
    if (step > 1) {
      let bits = 0n;
      for (let i = (this.#hash.next(step) + s) | 0; i <= e; i = (i + step) | 0) bits |= 1n << BigInt(i & 63);
      return BigInt.asUintN(64, bits);
    }
    if (step <= 0) this.#error(`step must be positive, but found ${fmtInt(step)}`);
    return BigInt.asUintN(64, 1n << BigInt((s + this.#hash.next(width)) & 63));
  }

  // ---- grammar ------------------------------------------------------------------------------

  parse(): ParsedCronLine {
    this.#syncBlock([TOKEN, STAR, H, AT]);
    if (this.#LA(1) === AT) {
      this.#consume();
      const keywords = [YEARLY, ANNUALLY, MONTHLY, WEEKLY, DAILY, MIDNIGHT, HOURLY];
      this.#syncBlock(keywords);
      const kw = this.#consume(); // lexes the next token, so "@dailyx" still fails on the x
      const expansion = ALIAS_OF[kw.type] ?? '';
      // CronTab.set(expansion, hash): a fresh parse on "line 1" that continues the same hash stream.
      return parseCronLine(expansion, 1, this.#hash);
    }
    const bits: [bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n];
    for (let field = 0; field < 4; field++) {
      bits[field] = this.#expr(field);
      this.#match(WS, [TOKEN, STAR, H]);
    }
    let dayOfWeek = Number(BigInt.asIntN(32, this.#expr(4)));
    this.#match(EOF, [EOF]);
    if ((dayOfWeek & (1 << 7)) !== 0) {
      dayOfWeek |= 1;
      dayOfWeek &= ~(1 << 7);
    }
    return { spec: this.#text, bits, dayOfWeek };
  }

  /** `expr := term (',' expr)?`, read as a loop: the grammar's tail recursion once overflowed the stack on a long list. */
  #expr(field: number): bigint {
    const end = field < 4 ? WS : EOF;
    let bits = this.#term(field);
    while (this.#syncOptional(OR, [OR, end])) {
      this.#consume();
      bits |= this.#term(field);
    }
    return bits;
  }

  #term(field: number): bigint {
    const end = field < 4 ? WS : EOF;
    const afterTerm = [OR, end];
    const afterRange = [DIV, OR, end];
    this.#syncBlock([TOKEN, STAR, H]);
    const la = this.#LA(1);
    let step = NO_STEP;
    if (la === TOKEN) {
      if (this.#LA(2) === MINUS) {
        const s = this.#number([MINUS]);
        this.#consume(); // '-'
        const e = this.#number(afterRange);
        if (this.#syncOptional(DIV, afterRange)) {
          this.#consume();
          step = this.#number(afterTerm);
        }
        return this.#doRange(s, e, step, field);
      }
      const v = this.#number(afterTerm);
      this.#rangeCheck(v, field);
      return BigInt.asUintN(64, 1n << BigInt(v & 63));
    }
    if (la === STAR) {
      this.#consume();
      if (this.#syncOptional(DIV, afterRange)) {
        this.#consume();
        step = this.#number(afterTerm);
      }
      return this.#doRange(FIELD_LOWER[field as 0] ?? 0, FIELD_UPPER[field as 0] ?? 0, step, field);
    }
    // 'H'
    if (this.#LA(2) === LPAREN) {
      this.#consume(); // H
      this.#consume(); // (
      const s = this.#number([MINUS]);
      this.#match(MINUS, [TOKEN]);
      const e = this.#number([RPAREN]);
      this.#match(RPAREN, afterRange);
      if (this.#syncOptional(DIV, afterRange)) {
        this.#consume();
        step = this.#number(afterTerm);
      }
      return this.#doHash(s, e, step, field);
    }
    this.#consume(); // H
    if (this.#syncOptional(DIV, afterRange)) {
      this.#consume();
      step = this.#number(afterTerm);
    }
    // Day of month hashes within 1-28 (always safe), day of week within 0-6 (7 would repeat Sunday).
    const upper = field === 2 ? 28 : field === 4 ? 6 : (FIELD_UPPER[field as 0] ?? 0);
    return this.#doHash(FIELD_LOWER[field as 0] ?? 0, upper, step, field);
  }
}
