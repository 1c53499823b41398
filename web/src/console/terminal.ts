/**
 * A console's text as a terminal shows it, one line at a time, with no DOM: SGR colours and
 * styles (16, 256 and 24-bit; bold, dim, italic, underline, inverse, hidden, strike) become
 * styled runs; `\r` returns to column 0 so what follows overwrites the line (progress bars),
 * `\r\n` is a newline, `\b` steps back and `ESC[K` erases; other escape sequences (cursor moves,
 * titles, charsets) are dropped. Escape sequences and `\r` split across fed pieces are held until
 * complete. The text stays text: nothing here is ever markup.
 */

/** A colour: a palette index (0–255) or a 24-bit `#rrggbb`; null is the console's default. */
export type Colour = number | string | null;

export interface Style {
  readonly fg: Colour;
  readonly bg: Colour;
  readonly bold: boolean;
  readonly dim: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly inverse: boolean;
  readonly hidden: boolean;
  readonly strike: boolean;
}

export interface Run {
  text: string;
  /** Interned: equal styles are the same object. */
  style: Style;
}

export interface Line {
  runs: Run[];
  /** When the line's first byte reached the master (epoch ms), if known. */
  at: number | null;
  /** Its length in characters (UTF-16 units), without the newline. */
  length: number;
  /** Ended by a newline (false: a very long line cut so it can be shown as it comes). */
  newline: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const styles = new Map<string, Style>();
function intern(s: Style): Style {
  const key = `${s.fg}|${s.bg}|${+s.bold}${+s.dim}${+s.italic}${+s.underline}${+s.inverse}${+s.hidden}${+s.strike}`;
  let found = styles.get(key);
  if (!found) styles.set(key, (found = Object.freeze({ ...s })));
  return found;
}
export const PLAIN: Style = intern({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false, hidden: false, strike: false });

/** A line longer than this is handed out without waiting for its newline. */
export const MAX_LINE = 64 * 1024;
/** An escape sequence longer than this is not one: its ESC is dropped and the rest shown. */
const MAX_ESCAPE = 64;
const SPECIAL = /[\x1b\r\n\b]/g;
const CSI = /^\x1b\[([0-?]*)[ -/]*([@-~])/;
const OSC = /^\x1b\][^\x07\x1b]*(\x07|\x1b\\)/;
/** ESC, intermediates, a final byte — not `[` (CSI) or `]` (OSC), whose ends are elsewhere. */
const OTHER_ESCAPE = /^\x1b[ -/]*[0-Z\\^-~]/;

export class Terminal {
  #style: Style = PLAIN;
  #runs: Run[] = [];
  #length = 0;
  #cursor = 0;
  #at: number | null = null;
  /** The line has no character yet: its time is that of its first. */
  #fresh = true;
  /** A `\r` was the last character fed: a newline if `\n` follows, else back to column 0. */
  #cr = false;
  /** The start of an escape sequence the last piece ended inside. */
  #escape = '';
  #done: Line[] = [];

  /** Feeds text that reached the master at `at`; answers the lines it completed. */
  feed(text: string, at: number | null): Line[] {
    if (this.#escape) {
      text = this.#escape + text;
      this.#escape = '';
    }
    let i = 0;
    SPECIAL.lastIndex = 0;
    while (i < text.length) {
      SPECIAL.lastIndex = i;
      const m = SPECIAL.exec(text);
      const stop = m ? m.index : text.length;
      if (stop > i) this.#write(text.slice(i, stop), at);
      if (!m) break;
      const c = text[stop]!;
      i = stop + 1;
      if (c === '\n') {
        this.#cr = false;
        this.#endLine(at, true);
        continue;
      }
      if (this.#cr) this.#return();
      if (c === '\r') this.#cr = true;
      else if (c === '\b') this.#cursor = Math.max(0, this.#cursor - 1);
      else i = this.#escapeAt(text, stop);
    }
    const done = this.#done;
    this.#done = [];
    return done;
  }

  /** The line being written, as it shows now. */
  partial(): Line {
    return { runs: this.#runs, at: this.#at, length: this.#length, newline: false };
  }

  /** Forgets the line being written (its text was skipped); the style stays. */
  dropPartial(): void {
    this.#runs = [];
    this.#length = this.#cursor = 0;
    this.#fresh = true;
    this.#cr = false;
    this.#escape = '';
  }

  #return() {
    this.#cr = false;
    this.#cursor = 0;
  }

  /** Handles the escape sequence at `text[at]`; answers where parsing goes on. */
  #escapeAt(text: string, at: number): number {
    const rest = text.slice(at, at + MAX_ESCAPE + 1);
    const m = CSI.exec(rest) ?? OSC.exec(rest) ?? OTHER_ESCAPE.exec(rest);
    if (!m) {
      // Incomplete at the end of the piece: wait for the rest. Otherwise not a sequence.
      if (text.length - at <= MAX_ESCAPE) {
        this.#escape = text.slice(at);
        return text.length;
      }
      return at + 1;
    }
    if (m[0][1] === '[') {
      if (m[2] === 'm') this.#sgr(m[1]!);
      else if (m[2] === 'K') this.#erase(m[1]!);
    }
    return at + m[0].length;
  }

  #write(text: string, at: number | null) {
    if (this.#cr) this.#return();
    if (this.#fresh) {
      this.#at = at;
      this.#fresh = false;
    }
    if (this.#cursor === this.#length) {
      const last = this.#runs.at(-1);
      if (last && last.style === this.#style) last.text += text;
      else this.#runs.push({ text, style: this.#style });
      this.#length += text.length;
    } else {
      // Overwrite from the cursor: what was there before it and after the new text stays.
      const end = this.#cursor + text.length;
      this.#runs = [...slice(this.#runs, 0, this.#cursor), { text, style: this.#style }, ...slice(this.#runs, end, Infinity)];
      this.#length = Math.max(this.#length, end);
    }
    this.#cursor += text.length;
    if (this.#length >= MAX_LINE && this.#cursor === this.#length) this.#endLine(at, false);
  }

  #endLine(at: number | null, newline: boolean) {
    if (this.#fresh) this.#at = at; // an empty line's time is its newline's
    this.#done.push({ runs: merge(this.#runs), at: this.#at, length: this.#length, newline });
    this.#runs = [];
    this.#length = this.#cursor = 0;
    this.#fresh = true;
  }

  /** ESC[K: 0 (or nothing) erases from the cursor to the end, 1 from the start to the cursor, 2 the line. */
  #erase(param: string) {
    const n = Number(param || 0);
    if (n === 0) {
      this.#runs = slice(this.#runs, 0, this.#cursor);
      this.#length = Math.min(this.#length, this.#cursor);
    } else if (n === 1) {
      this.#runs = [{ text: ' '.repeat(this.#cursor), style: PLAIN }, ...slice(this.#runs, this.#cursor, Infinity)];
    } else if (n === 2) {
      this.#runs = [];
      this.#length = 0;
    }
  }

  /** Select Graphic Rendition: `;`-separated codes, extended colours also with `:` sub-parameters. */
  #sgr(params: string) {
    const s: Mutable<Style> = { ...this.#style };
    const codes = params === '' ? ['0'] : params.split(';');
    for (let i = 0; i < codes.length; i++) {
      const part = codes[i]!;
      if (part.includes(':')) {
        const sub = part.split(':').map((x) => Number(x || 0));
        if (sub[0] === 38 || sub[0] === 48) setColour(s, sub[0], sub[1] === 5 ? sub[2] : sub[1] === 2 ? rgb(sub.length >= 6 ? sub.slice(3) : sub.slice(2)) : undefined);
        continue;
      }
      const code = Number(part || 0);
      if (code === 38 || code === 48) {
        const kind = Number(codes[i + 1]);
        if (kind === 5) {
          setColour(s, code, Number(codes[i + 2]));
          i += 2;
        } else if (kind === 2) {
          setColour(s, code, rgb(codes.slice(i + 2, i + 5).map(Number)));
          i += 4;
        } else i = codes.length; // malformed: the rest cannot be read
        continue;
      }
      applyCode(s, code);
    }
    this.#style = intern(s);
  }
}

function applyCode(s: Mutable<Style>, code: number) {
  if (code === 0) Object.assign(s, PLAIN);
  else if (code === 1) s.bold = true;
  else if (code === 2) s.dim = true;
  else if (code === 3) s.italic = true;
  else if (code === 4 || code === 21) s.underline = true;
  else if (code === 7) s.inverse = true;
  else if (code === 8) s.hidden = true;
  else if (code === 9) s.strike = true;
  else if (code === 22) s.bold = s.dim = false;
  else if (code === 23) s.italic = false;
  else if (code === 24) s.underline = false;
  else if (code === 27) s.inverse = false;
  else if (code === 28) s.hidden = false;
  else if (code === 29) s.strike = false;
  else if (code >= 30 && code <= 37) s.fg = code - 30;
  else if (code === 39) s.fg = null;
  else if (code >= 40 && code <= 47) s.bg = code - 40;
  else if (code === 49) s.bg = null;
  else if (code >= 90 && code <= 97) s.fg = code - 90 + 8;
  else if (code >= 100 && code <= 107) s.bg = code - 100 + 8;
}

function setColour(s: Mutable<Style>, which: number, colour: Colour | undefined) {
  if (colour === undefined || (typeof colour === 'number' && !(Number.isInteger(colour) && colour >= 0 && colour <= 255))) return;
  if (which === 38) s.fg = colour;
  else s.bg = colour;
}

function rgb(v: number[]): string | undefined {
  if (v.length < 3 || !v.slice(0, 3).every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return undefined;
  return `#${v.slice(0, 3).map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** The runs' characters [from, to), cut where needed. */
function slice(runs: Run[], from: number, to: number): Run[] {
  const out: Run[] = [];
  let at = 0;
  for (const r of runs) {
    const end = at + r.text.length;
    if (end > from && at < to) out.push({ text: r.text.slice(Math.max(0, from - at), Math.min(r.text.length, to - at)), style: r.style });
    at = end;
  }
  return out;
}

/** Neighbouring runs of one style become one (overwrites leave them split). */
function merge(runs: Run[]): Run[] {
  const out: Run[] = [];
  for (const r of runs) {
    const last = out.at(-1);
    if (last && last.style === r.style) last.text += r.text;
    else if (r.text) out.push(r);
  }
  return out;
}
