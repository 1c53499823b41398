import test from 'ava';
import {
  LabelExpressionError,
  LabelExpressionString,
  formatLabelExpression,
  labelAtoms,
  matchesLabels,
  parseLabelExpression,
  type LabelExpr,
} from '../../shared/src/label-expression.ts';

// Tiny tree builders so the expected shapes read like the expressions.
const atom = (name: string): LabelExpr => ({ kind: 'atom', name });
const not = (operand: LabelExpr): LabelExpr => ({ kind: 'not', operand });
const and = (left: LabelExpr, right: LabelExpr): LabelExpr => ({ kind: 'and', left, right });
const or = (left: LabelExpr, right: LabelExpr): LabelExpr => ({ kind: 'or', left, right });
const implies = (left: LabelExpr, right: LabelExpr): LabelExpr => ({ kind: 'implies', left, right });
const iff = (left: LabelExpr, right: LabelExpr): LabelExpr => ({ kind: 'iff', left, right });
const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(atom) as [LabelExpr, LabelExpr, LabelExpr, LabelExpr];

const parses: [string, LabelExpr | null][] = [
  ['', null],
  ['   \t\n ', null],
  ['a', a],
  ['  a  ', a],
  ['a && b', and(a, b)],
  ['a&&b', and(a, b)],
  ['a || b && c', or(a, and(b, c))],
  ['a && b || c', or(and(a, b), c)],
  ['(a || b) && c', and(or(a, b), c)],
  ['a && b && c', and(and(a, b), c)],
  ['a || b || c', or(or(a, b), c)],
  ['a -> b || c', implies(a, or(b, c))],
  ['a || b -> c', implies(or(a, b), c)],
  ['a <-> b <-> c', iff(iff(a, b), c)],
  ['a <-> b -> c', iff(a, implies(b, c))],
  ['a -> b <-> c -> d', iff(implies(a, b), implies(c, d))],
  ['(a -> b) -> c', implies(implies(a, b), c)],
  ['a -> (b -> c)', implies(a, implies(b, c))],
  ['!a && b', and(not(a), b)],
  ['!(a && b)', not(and(a, b))],
  ['!(!a)', not(not(a))],
  ['((a))', a],
  ['x86-64', atom('x86-64')],
  ['built-in', atom('built-in')],
  ['-a-', atom('-a-')],
  ['a->b', implies(a, b)],
  ['a<->b', iff(a, b)],
  ['x86-64->linux', implies(atom('x86-64'), atom('linux'))],
  ['a--b', atom('a--b')],
  ['java:17/jdk.x@y', atom('java:17/jdk.x@y')],
  ['"my label"', atom('my label')],
  ['"a \\"quoted\\" \\\\ label"', atom('a "quoted" \\ label')],
  ['"\\x"', atom('x')],
  ['"a&&b" || "(c)"', or(atom('a&&b'), atom('(c)'))],
  ['"label with space" || x86-64', or(atom('label with space'), atom('x86-64'))],
  ['""', atom('')],
  ['ünïcødé && 标签', and(atom('ünïcødé'), atom('标签'))],
];

for (const [text, expected] of parses) {
  test(`parses ${JSON.stringify(text)}`, (t) => {
    t.deepEqual(parseLabelExpression(text), expected);
  });
}

const errors: [string, number, RegExp][] = [
  ['a->b->c', 4, /'->' cannot be chained/],
  ['a -> b -> c', 7, /'->' cannot be chained/],
  ['!!a', 1, /unexpected '!'/],
  ['a &&', 4, /unexpected end/],
  ['a && ', 5, /^Invalid label expression 'a && ': unexpected end at position 5$/],
  ['(a', 2, /unexpected end at position 2; expected '\)'/],
  ['a)', 1, /unexpected '\)' at position 1$/],
  ['&& a', 0, /unexpected '&&' at position 0/],
  ['"unterminated', 0, /unterminated quoted label at position 0/],
  ['a || "ends in backslash\\', 5, /unterminated quoted label/],
  ['a & b', 2, /single '&' at position 2; use '&&'/],
  ['a | b', 2, /single '\|' at position 2; use '\|\|'/],
  ["'a'", 0, /unexpected "'" at position 0; quote labels with double quotes/],
  ["a && b'", 6, /unexpected "'"/],
  ['a b', 2, /unexpected label b at position 2/],
  ['()', 1, /unexpected '\)'/],
  ['a < b', 2, /unexpected '<'/],
  ['a > b', 2, /unexpected '>'/],
  ['!', 1, /unexpected end/],
  ['a <->', 5, /unexpected end/],
];

for (const [text, position, message] of errors) {
  test(`rejects ${JSON.stringify(text)} at position ${position}`, (t) => {
    const error = t.throws(() => parseLabelExpression(text), { instanceOf: LabelExpressionError });
    t.is(error?.position, position);
    t.regex(error?.message ?? '', message);
    t.true(error?.message.startsWith(`Invalid label expression '${text}': `));
  });
}

const evaluations: [string, string[], boolean][] = [
  ['', [], true],
  ['linux && docker', ['linux', 'docker'], true],
  ['linux && docker', ['linux'], false],
  ['linux && docker', ['agent-1', 'docker', 'linux', 'x86-64'], true],
  ['!windows', ['linux'], true],
  ['!windows', ['windows'], false],
  ['!windows', [], true],
  ['(a || b) && !c', ['a'], true],
  ['(a || b) && !c', ['b'], true],
  ['(a || b) && !c', ['a', 'c'], false],
  ['(a || b) && !c', ['c'], false],
  ['(a || b) && !c', [], false],
  ['a -> b', [], true],
  ['a -> b', ['b'], true],
  ['a -> b', ['a'], false],
  ['a -> b', ['a', 'b'], true],
  ['a <-> b', [], true],
  ['a <-> b', ['b'], false],
  ['a <-> b', ['a'], false],
  ['a <-> b', ['a', 'b'], true],
  ['"label with space" || x86-64', ['label with space'], true],
  ['"label with space" || x86-64', ['x86-64'], true],
  ['"label with space" || x86-64', ['label', 'with', 'space', 'x86'], false],
  ['agent-7', ['linux', 'agent-7'], true], // the node's own name is one of its labels
  ['Linux', ['linux'], false], // labels are case-sensitive
];

for (const [text, labels, expected] of evaluations) {
  test(`${JSON.stringify(text)} ${expected ? 'matches' : 'does not match'} {${labels.join(',')}}`, (t) => {
    t.is(matchesLabels(parseLabelExpression(text), labels), expected);
  });
}

test('matchesLabels takes any iterable, including a Set and a generator', (t) => {
  const expr = parseLabelExpression('linux && docker');
  t.true(matchesLabels(expr, new Set(['linux', 'docker'])));
  t.true(matchesLabels(expr, (function* () { yield 'docker'; yield 'linux'; })()));
  t.true(matchesLabels(null, []));
});

// [input, canonical form]
const formats: [string, string][] = [
  ['', ''],
  ['a', 'a'],
  ['a&&b', 'a && b'],
  ['((a)) && (b)', 'a && b'],
  ['(a && b) && c', 'a && b && c'],
  ['a && (b && c)', 'a && (b && c)'], // a different tree, so the parentheses stay
  ['a || (b && c)', 'a || b && c'],
  ['(a || b) && c', '(a || b) && c'],
  ['(a -> b) -> c', '(a -> b) -> c'],
  ['a -> (b -> c)', 'a -> (b -> c)'],
  ['a->(b||c)', 'a -> b || c'],
  ['(a <-> b) <-> c', 'a <-> b <-> c'],
  ['a <-> (b <-> c)', 'a <-> (b <-> c)'],
  ['a <-> (b -> c)', 'a <-> b -> c'],
  ['(a <-> b) -> c', '(a <-> b) -> c'],
  ['!(a)', '!a'],
  ['(!a) && b', '!a && b'],
  ['!(a && b)', '!(a && b)'],
  ['!(!a)', '!(!a)'],
  ['x86-64->linux', 'x86-64 -> linux'],
  ['"plain"', 'plain'],
  ['"my label"', '"my label"'],
  ['"a->b"', '"a->b"'],
  ['"a-b"', 'a-b'],
  ['"q\\"uote\\\\"', '"q\\"uote\\\\"'],
  ['"it\'s"', '"it\'s"'],
  ['"a&&b"', '"a&&b"'],
  ['""', '""'],
  ['"label with space"||x86-64', '"label with space" || x86-64'],
];

for (const [text, canonical] of formats) {
  test(`formats ${JSON.stringify(text)} as ${JSON.stringify(canonical)} and round-trips`, (t) => {
    const tree = parseLabelExpression(text);
    const formatted = formatLabelExpression(tree);
    t.is(formatted, canonical);
    t.deepEqual(parseLabelExpression(formatted), tree);
  });
}

test('every parsable table entry round-trips through the formatter', (t) => {
  for (const [text, tree] of parses) {
    t.deepEqual(parseLabelExpression(formatLabelExpression(tree)), tree, text);
  }
});

test('whitespace and redundant-parenthesis variants share one canonical string', (t) => {
  const variants = ['(a||b)&&!c', '  ( a || b ) && ! c ', '((a || (b))) && (!(c))', '(((a)||b)&&(!c))'];
  const canonical = variants.map((v) => formatLabelExpression(parseLabelExpression(v)));
  t.deepEqual(new Set(canonical), new Set(['(a || b) && !c']));
});

const atomsOf: [string, string[]][] = [
  ['', []],
  ['linux', ['linux']],
  ['linux && docker', ['linux', 'docker']],
  ['(a || b) && !c -> a', ['a', 'b', 'c']],
  ['"label with space" || x86-64', ['label with space', 'x86-64']],
];

for (const [text, expected] of atomsOf) {
  test(`labelAtoms(${JSON.stringify(text)})`, (t) => {
    t.deepEqual(labelAtoms(parseLabelExpression(text)), expected);
  });
}

test('LabelExpressionString accepts empty and valid expressions, keeping the text as written', (t) => {
  for (const text of ['', '  ', 'linux', '(a||b) && !c', '"my label"']) {
    t.is(LabelExpressionString.parse(text), text);
  }
});

test("LabelExpressionString rejects bad expressions with the parser's message", (t) => {
  const result = LabelExpressionString.safeParse('a && ');
  t.false(result.success);
  t.is(result.error?.issues[0]?.message, "Invalid label expression 'a && ': unexpected end at position 5");
  t.false(LabelExpressionString.safeParse(42).success);
});
