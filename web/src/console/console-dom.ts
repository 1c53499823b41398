/**
 * Terminal lines into the page, as text nodes in spans — never markup from the log. Palette
 * colours are classes (the 256-colour palette is generated below, the first 16 themable); a
 * 24-bit colour is set through the CSSOM (`style.setProperty`), which the Content-Security-Policy
 * allows, where a style attribute in markup would be blocked.
 */
import { css, unsafeCSS } from 'lit';
import type { Colour, Line, Style } from './terminal.ts';

/** `HH:MM:SS ` in the viewer's time zone, like Timestamper's default. */
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/**
 * Appends `lines` to `parent`: with `times`, each line's time first (a `.ts` span), then its
 * runs and its newline. Unstyled text of neighbouring lines becomes one text node, so a plain
 * log costs the page one node per block, as plain text would.
 */
export function appendLines(parent: Node, lines: readonly Line[], times: boolean): void {
  let text = '';
  const flush = () => {
    if (text) parent.appendChild(document.createTextNode(text));
    text = '';
  };
  for (const line of lines) {
    if (times && line.at !== null) {
      flush();
      const ts = document.createElement('span');
      ts.className = 'ts';
      ts.textContent = `${clock.format(line.at)} `;
      parent.appendChild(ts);
    }
    for (const run of line.runs) {
      if (isPlain(run.style)) {
        text += run.text;
        continue;
      }
      flush();
      const span = document.createElement('span');
      span.textContent = run.text;
      style(span, run.style);
      parent.appendChild(span);
    }
    if (line.newline) text += '\n';
  }
  flush();
}

function isPlain(s: Style): boolean {
  return s.fg === null && s.bg === null && !(s.bold || s.dim || s.italic || s.underline || s.inverse || s.hidden || s.strike);
}

function style(span: HTMLElement, s: Style) {
  // Inverse swaps the colours; a default one becomes the console's other default.
  const fg = s.inverse ? (s.bg ?? 'bg') : s.fg;
  const bg = s.inverse ? (s.fg ?? 'fg') : s.bg;
  const classes: string[] = [];
  if (s.bold) classes.push('sgr-bold');
  if (s.dim) classes.push('sgr-dim');
  if (s.italic) classes.push('sgr-italic');
  if (s.underline) classes.push('sgr-underline');
  if (s.strike) classes.push('sgr-strike');
  if (s.hidden) classes.push('sgr-hidden');
  colour(span, classes, 'color', 'f', fg);
  colour(span, classes, 'background-color', 'b', bg);
  span.className = classes.join(' ');
}

function colour(span: HTMLElement, classes: string[], property: string, prefix: string, c: Colour | 'fg' | 'bg') {
  if (c === null) return;
  if (typeof c === 'number') classes.push(`${prefix}${c}`);
  else if (c === 'fg' || c === 'bg') classes.push(`${prefix}-${c}`);
  else span.style.setProperty(property, c); // '#rrggbb', made by the terminal from numbers
}

const CUBE = [0, 95, 135, 175, 215, 255];
/** xterm's 256 colours: 16 themable ones, a 6×6×6 cube, 24 greys. */
function paletteColour(n: number): string {
  if (n < 16) return `var(--jk-ansi-${n})`;
  if (n >= 232) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g}, ${g}, ${g})`;
  }
  const i = n - 16;
  return `rgb(${CUBE[Math.floor(i / 36)]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})`;
}

/** Our own generated rules (no log content): the palette classes and the SGR styles. */
const PALETTE_RULES = Array.from({ length: 256 }, (_, n) => `.f${n} { color: ${paletteColour(n)}; } .b${n} { background-color: ${paletteColour(n)}; }`).join('\n');
const ANSI_16 = ['#2e3436', '#cc0000', '#4e9a06', '#c4a000', '#3465a4', '#75507b', '#06989a', '#d3d7cf', '#555753', '#ef2929', '#8ae234', '#fce94f', '#729fcf', '#ad7fa8', '#34e2e2', '#eeeeec'];

export const terminalStyles = css`
  :host { ${unsafeCSS(ANSI_16.map((c, n) => `--jk-ansi-${n}: ${c};`).join(' '))} }
  ${unsafeCSS(PALETTE_RULES)}
  .f-bg { color: var(--jk-console-bg); }
  .b-fg { background-color: var(--jk-console-text); }
  .sgr-bold { font-weight: 700; }
  .sgr-dim { opacity: 0.7; }
  .sgr-italic { font-style: italic; }
  .sgr-underline { text-decoration: underline; }
  .sgr-strike { text-decoration: line-through; }
  .sgr-underline.sgr-strike { text-decoration: underline line-through; }
  .sgr-hidden { visibility: hidden; }
  .ts { color: #8b98a5; user-select: none; }
`;
