/**
 * The console's terminal model (web/src/console/terminal.ts), fed as the stream delivers text:
 * sequences and `\r` split across pieces, SGR in its `;` and `:` forms, overwrites, erases,
 * long lines, and garbage that only looks like an escape.
 */
import test from 'ava';
import { MAX_LINE, PLAIN, Terminal, type Line } from '../../web/src/console/terminal.ts';

const text = (l: Line) => l.runs.map((r) => r.text).join('');
const feedAll = (pieces: string[], at: number | null = 1) => {
  const term = new Terminal();
  return { lines: pieces.flatMap((p) => term.feed(p, at)), term };
};

test('an SGR sequence split across pieces still styles the text after it; reset returns to plain', (t) => {
  const { lines } = feedAll(['a\x1b[3', '1;1mred', '\x1b[0m b\n']);
  t.is(lines.length, 1);
  t.deepEqual(lines[0]!.runs.map((r) => [r.text, r.style.fg, r.style.bold]), [['a', null, false], ['red', 1, true], [' b', null, false]]);
  t.is(lines[0]!.runs[2]!.style, PLAIN, 'styles are interned');
});

test('256 and 24-bit colours in the ; and : forms; bright colours; malformed ones are ignored', (t) => {
  const { lines } = feedAll(['\x1b[38;5;208ma\x1b[48:2::1:2:3mb\x1b[0;38:5:9mc\x1b[91;104md\x1b[38;2;300;0;0me\x1b[38;9mf\n']);
  const runs = lines[0]!.runs.map((r) => [r.text, r.style.fg, r.style.bg]);
  t.deepEqual(runs, [['a', 208, null], ['b', 208, '#010203'], ['c', 9, null], ['def', 9, 12]]);
});

test('\\r overwrites from column 0, also when split from what follows; \\r\\n is a newline; \\b steps back', (t) => {
  const { lines, term } = feedAll(['10%\r', '20%\r', '\n', 'abcdef\r', 'XY\n', 'ab\bX\n', 'half\r50%']);
  t.deepEqual(lines.map(text), ['20%', 'XYcdef', 'aX']);
  t.is(text(term.partial()), '50%f', 'the line being written shows its current state');
});

test('ESC[K erases to the end, ESC[2K the line; cursor moves and titles are dropped', (t) => {
  const { lines } = feedAll(['long text\r\x1b[Kshort\n', 'gone\x1b[2K\rnew\n', '\x1b]0;title\x07\x1b[2Aup\x1b(B\n']);
  t.deepEqual(lines.map(text), ['short', 'new', 'up']);
});

test('overwriting a styled part keeps the styles of what is not overwritten', (t) => {
  const { lines } = feedAll(['\x1b[31mred\x1b[0m plain\r\x1b[32mG\x1b[0m\n']);
  t.deepEqual(lines[0]!.runs.map((r) => [r.text, r.style.fg]), [['G', 2], ['ed', 1], [' plain', null]]);
});

test('a line takes the time of its first character; a very long line is handed out without its newline', (t) => {
  const term = new Terminal();
  t.deepEqual(term.feed('sta', 100), []);
  const [line] = term.feed('rt\nnext', 200);
  t.is(line!.at, 100);
  t.is(term.partial().at, 200);
  const long = term.feed('x'.repeat(MAX_LINE), 300);
  t.is(long.length, 1);
  t.false(long[0]!.newline);
  t.is(long[0]!.length, 'next'.length + MAX_LINE, 'cut once the line reached MAX_LINE');
});

test('an ESC that starts no sequence is dropped and the rest shown; an unfinished one is held only briefly', (t) => {
  const { lines } = feedAll([`a\x1b[${'1;'.repeat(40)}b\n`]);
  t.is(text(lines[0]!), `a[${'1;'.repeat(40)}b`);
  const { lines: held } = feedAll(['x\x1b[', '31', 'my\n']);
  t.deepEqual(held[0]!.runs.map((r) => [r.text, r.style.fg]), [['x', null], ['y', 1]]);
});
