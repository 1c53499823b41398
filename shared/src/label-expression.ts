/**
 * Jenkins label expressions ("Restrict where this project can be run"), as in core's
 * LabelExpressionLexer/Parser.g4. Grammar, loosest to tightest:
 *
 *   expr    := implies ( '<->' implies )*        left-associative
 *   implies := or ( '->' or )?                   NOT chainable: a -> b -> c is an error
 *   or      := and ( '||' and )*
 *   and     := not ( '&&' not )*
 *   not     := '!' primary | primary             so !!a is an error, !(!a) is fine
 *   primary := ATOM | STRING | '(' expr ')'
 *
 *   ATOM    := characters other than whitespace and & | ! < > ( ) " ' ; a '-' only when not followed by '>'
 *   STRING  := '"' ( '\' any | any but '"' )* '"'
 *
 * An empty expression means "any agent". A node matches against its labels plus its own name.
 *
 * Bounds: every function here walks the tree recursively, so the parser refuses what would make
 * the tree deep: more than MAX_LABEL_EXPRESSION_LENGTH characters, MAX_LABEL_OPERATORS operators
 * (a tree is at most that deep) or MAX_LABEL_NESTING nested parentheses (each level is a few
 * frames of the parser). 6,000 `||` terms once passed and then overflowed the stack of every
 * agent's work config and the queue sweep.
 */
import { z } from 'zod';

export type LabelExpr =
  | { kind: 'atom'; name: string }
  | { kind: 'not'; operand: LabelExpr }
  | { kind: 'and' | 'or' | 'implies' | 'iff'; left: LabelExpr; right: LabelExpr };

type BinaryKind = 'and' | 'or' | 'implies' | 'iff';

export const MAX_LABEL_EXPRESSION_LENGTH = 4096;
export const MAX_LABEL_OPERATORS = 500;
export const MAX_LABEL_NESTING = 50;

export class LabelExpressionError extends Error {
  /** 0-based character offset of the problem in the expression text. */
  readonly position: number;
  constructor(text: string, problem: string, position: number, hint?: string) {
    const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
    super(`Invalid label expression '${shown}': ${problem} at position ${position}${hint ? `; ${hint}` : ''}`);
    this.name = 'LabelExpressionError';
    this.position = position;
  }
}

type Token =
  | { type: 'atom'; name: string; pos: number }
  | { type: '&&' | '||' | '->' | '<->' | '!' | '(' | ')' | 'end'; pos: number };

const OPERATOR_KINDS: Record<string, BinaryKind> = { '&&': 'and', '||': 'or', '->': 'implies', '<->': 'iff' };
const OPERATOR_TEXT: Record<BinaryKind, string> = { and: '&&', or: '||', implies: '->', iff: '<->' };
/** Binding strength; higher binds tighter. */
const PRECEDENCE: Record<LabelExpr['kind'], number> = { iff: 1, implies: 2, or: 3, and: 4, not: 5, atom: 6 };

const isAtomChar = (c: string): boolean => !/[\s&|!<>()"']/.test(c);

function tokenize(text: string): Token[] {
  const fail = (problem: string, pos: number, hint?: string): never => {
    throw new LabelExpressionError(text, problem, pos, hint);
  };
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const pos = i;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('&&', i) || text.startsWith('||', i) || text.startsWith('->', i)) {
      tokens.push({ type: text.slice(i, i + 2) as '&&' | '||' | '->', pos });
      i += 2;
    } else if (text.startsWith('<->', i)) {
      tokens.push({ type: '<->', pos });
      i += 3;
    } else if (c === '!' || c === '(' || c === ')') {
      tokens.push({ type: c, pos });
      i++;
    } else if (c === '&' || c === '|') {
      fail(`single '${c}'`, pos, `use '${c}${c}'`);
    } else if (c === '"') {
      let name = '';
      for (i++; text[i] !== '"'; i++) {
        if (text[i] === '\\') i++; // the escaped character is taken literally, even '"' or '\'
        if (i >= text.length) fail('unterminated quoted label', pos);
        name += text[i];
      }
      i++; // closing quote
      tokens.push({ type: 'atom', name, pos });
    } else if (c === "'") {
      fail(`unexpected "'"`, pos, 'quote labels with double quotes');
    } else if (!isAtomChar(c)) {
      fail(`unexpected '${c}'`, pos); // a '<' or '>' not part of '<->' / '->'
    } else {
      // '-' belongs to the atom unless it starts '->', so `x86-64` is one label and `a->b` is a -> b.
      while (i < text.length && isAtomChar(text[i]!) && !text.startsWith('->', i)) i++;
      tokens.push({ type: 'atom', name: text.slice(pos, i), pos });
    }
  }
  tokens.push({ type: 'end', pos: text.length });
  return tokens;
}

function describe(token: Token): string {
  if (token.type === 'end') return 'unexpected end';
  if (token.type === 'atom') return `unexpected label ${quoteIfNeeded(token.name)}`;
  return `unexpected '${token.type}'`;
}

/** Parses; '' or whitespace → null (any agent). Throws LabelExpressionError on a syntax error. */
export function parseLabelExpression(text: string): LabelExpr | null {
  if (text.length > MAX_LABEL_EXPRESSION_LENGTH) {
    throw new LabelExpressionError(text, `longer than ${MAX_LABEL_EXPRESSION_LENGTH} characters`, MAX_LABEL_EXPRESSION_LENGTH);
  }
  const tokens = tokenize(text);
  const operators = tokens.filter((t) => t.type !== 'atom' && t.type !== '(' && t.type !== ')' && t.type !== 'end');
  if (operators.length > MAX_LABEL_OPERATORS) {
    throw new LabelExpressionError(text, `more than ${MAX_LABEL_OPERATORS} operators`, operators[MAX_LABEL_OPERATORS]!.pos);
  }
  let index = 0;
  let nesting = 0;
  const peek = (): Token => tokens[index]!; // the 'end' token is always last, and never consumed
  const fail = (token: Token, hint?: string): never => {
    throw new LabelExpressionError(text, describe(token), token.pos, hint);
  };
  const binary = (kind: BinaryKind, left: LabelExpr, right: LabelExpr): LabelExpr => ({ kind, left, right });
  // One loop per left-associative level: operand ( op operand )*
  const leftAssoc = (op: '<->' | '||' | '&&', operand: () => LabelExpr) => (): LabelExpr => {
    let left = operand();
    while (peek().type === op) {
      index++;
      left = binary(OPERATOR_KINDS[op]!, left, operand());
    }
    return left;
  };
  const primary = (): LabelExpr => {
    const token = peek();
    if (token.type === 'atom') {
      index++;
      return { kind: 'atom', name: token.name };
    }
    if (token.type !== '(') return fail(token, token.type === '!' ? "'!' applies to a label or '(…)'" : undefined);
    if (++nesting > MAX_LABEL_NESTING) throw new LabelExpressionError(text, `parentheses nested deeper than ${MAX_LABEL_NESTING}`, token.pos);
    index++;
    const inner = iff();
    nesting--;
    if (peek().type !== ')') fail(peek(), `expected ')' to close '(' at position ${token.pos}`);
    index++;
    return inner;
  };
  const not = (): LabelExpr => {
    if (peek().type !== '!') return primary();
    index++;
    return { kind: 'not', operand: primary() };
  };
  const or = leftAssoc('||', leftAssoc('&&', not));
  const implies = (): LabelExpr => {
    const left = or();
    if (peek().type !== '->') return left;
    index++;
    const right = or();
    if (peek().type === '->') fail(peek(), "'->' cannot be chained; use parentheses");
    return binary('implies', left, right);
  };
  const iff = leftAssoc('<->', implies);

  if (peek().type === 'end') return null;
  const expr = iff();
  if (peek().type !== 'end') fail(peek());
  return expr;
}

/** Does a node with these labels (its own name included by the caller) satisfy it? null → true. */
export function matchesLabels(expr: LabelExpr | null, labels: Iterable<string>): boolean {
  if (expr === null) return true;
  const set = new Set(labels);
  const evaluate = (e: LabelExpr): boolean => {
    switch (e.kind) {
      case 'atom': return set.has(e.name);
      case 'not': return !evaluate(e.operand);
      case 'and': return evaluate(e.left) && evaluate(e.right);
      case 'or': return evaluate(e.left) || evaluate(e.right);
      case 'implies': return !evaluate(e.left) || evaluate(e.right);
      case 'iff': return evaluate(e.left) === evaluate(e.right);
    }
  };
  return evaluate(expr);
}

/**
 * matchesLabels for an expression read back from storage: one that no longer parses (saved before
 * the parser's bounds) is satisfied by no node, rather than failing whoever asks.
 */
export function storedExpressionMatches(text: string, labels: Iterable<string>): boolean {
  const expr = storedExpression(text);
  return expr !== UNPARSEABLE && matchesLabels(expr, labels);
}

// Every build's start matches its stored label: each distinct text is parsed once. Bounded, oldest first out.
const UNPARSEABLE = Symbol('unparseable');
const parsedStored = new Map<string, LabelExpr | null | typeof UNPARSEABLE>();
const PARSED_STORED_MAX = 1000;

function storedExpression(text: string): LabelExpr | null | typeof UNPARSEABLE {
  const cached = parsedStored.get(text);
  if (cached !== undefined) return cached;
  let expr: LabelExpr | null | typeof UNPARSEABLE;
  try {
    expr = parseLabelExpression(text);
  } catch (error) {
    if (!(error instanceof LabelExpressionError)) throw error;
    expr = UNPARSEABLE;
  }
  if (parsedStored.size >= PARSED_STORED_MAX) parsedStored.delete(parsedStored.keys().next().value!);
  parsedStored.set(text, expr);
  return expr;
}

/** A label as it must be written: bare when the lexer would read it back as one atom, else quoted. */
function quoteIfNeeded(name: string): string {
  const bare = name !== '' && [...name].every(isAtomChar) && !name.includes('->');
  return bare ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Canonical text: parentheses only where the tree needs them, single spaces around binary
 * operators. Parsing the result gives back an equal tree, so it is stable under round trips.
 */
export function formatLabelExpression(expr: LabelExpr | null): string {
  if (expr === null) return '';
  const format = (e: LabelExpr, minPrecedence: number): string => {
    const text = formatNode(e);
    return PRECEDENCE[e.kind] < minPrecedence ? `(${text})` : text;
  };
  const formatNode = (e: LabelExpr): string => {
    if (e.kind === 'atom') return quoteIfNeeded(e.name);
    // '!' takes one atom: anything else, even another '!', needs parentheses.
    if (e.kind === 'not') return `!${format(e.operand, PRECEDENCE.atom)}`;
    const p = PRECEDENCE[e.kind];
    // Left-associative levels keep a same-level left operand bare; '->' is not chainable at all.
    const leftMin = e.kind === 'implies' ? p + 1 : p;
    return `${format(e.left, leftMin)} ${OPERATOR_TEXT[e.kind]} ${format(e.right, p + 1)}`;
  };
  return formatNode(expr);
}

/** The distinct atoms used, in order of first appearance. */
export function labelAtoms(expr: LabelExpr | null): string[] {
  const atoms = new Set<string>();
  const walk = (e: LabelExpr): void => {
    if (e.kind === 'atom') atoms.add(e.name);
    else if (e.kind === 'not') walk(e.operand);
    else [e.left, e.right].forEach(walk);
  };
  if (expr !== null) walk(expr);
  return [...atoms];
}

/** A job's `label` field: empty (any agent) or an expression that parses; the message is the parser's. */
export const LabelExpressionString: z.ZodType<string> = z.string().superRefine((text, ctx) => {
  try {
    parseLabelExpression(text);
  } catch (error) {
    if (!(error instanceof LabelExpressionError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});
