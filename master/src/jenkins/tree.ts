/**
 * Jenkins' `tree=` query (Stapler's NamedPathPruner): a comma list of property names, each with an
 * optional sub-selection in `[…]` and, for arrays, a range `{M,N}` / `{M,}` / `{,N}` / `{N}`:
 * `jobs[name,color,lastBuild[number,result]],views[name]`, `builds[number]{0,10}`.
 * Bounded: at most MAX_TREE_LENGTH characters, MAX_TREE_DEPTH levels of brackets; anything else
 * is a 400 that says where.
 */
import { ValidationError } from '../errors.ts';

export const MAX_TREE_LENGTH = 10_000;
export const MAX_TREE_DEPTH = 32;

/** What to keep of one property: its own selection (null: nothing of a nested object but `_class`) and, for arrays, a slice. */
export interface TreeNode {
  children: TreeSpec | null;
  range: { from: number; to: number | undefined } | null;
}
export type TreeSpec = Map<string, TreeNode>;

export function parseTree(text: string): TreeSpec {
  if (text.length > MAX_TREE_LENGTH) throw new ValidationError(`tree= is longer than ${MAX_TREE_LENGTH} characters`);
  let at = 0;
  const fail = (what: string): never => {
    throw new ValidationError(`Invalid tree= at character ${at + 1}: ${what} (e.g. tree=jobs[name,color],views[name])`);
  };
  const list = (depth: number): TreeSpec => {
    if (depth > MAX_TREE_DEPTH) fail(`more than ${MAX_TREE_DEPTH} levels of [ ]`);
    const spec: TreeSpec = new Map();
    for (;;) {
      const start = at;
      while (at < text.length && /[A-Za-z0-9_$]/.test(text[at]!)) at++;
      if (at === start) fail('expected a property name');
      const name = text.slice(start, at);
      let children: TreeSpec | null = null;
      if (text[at] === '[') {
        at++;
        children = list(depth + 1);
        if (text[at] !== ']') fail("expected ']'");
        at++;
      }
      const node: TreeNode = { children, range: text[at] === '{' ? range() : null };
      const before = spec.get(name);
      spec.set(name, before ? merge(before, node) : node);
      if (text[at] !== ',') return spec;
      at++;
    }
  };
  const int = (): number | undefined => {
    const start = at;
    while (at < text.length && /[0-9]/.test(text[at]!)) at++;
    if (at - start > 9) fail('a range bound is too large');
    return at === start ? undefined : Number(text.slice(start, at));
  };
  const range = (): TreeNode['range'] => {
    at++; // '{'
    const from = int();
    let to: number | undefined;
    if (text[at] === ',') {
      at++;
      to = int();
    } else {
      if (from === undefined) fail('expected a number in { }');
      to = from! + 1; // {N}: element N alone
    }
    if (text[at] !== '}') fail("expected '}'");
    at++;
    return { from: from ?? 0, to };
  };
  const spec = list(0);
  if (at !== text.length) fail(`unexpected '${text[at]}'`);
  return spec;
}

/** The same name twice (`a[x],a[y]`): both selections. */
function merge(a: TreeNode, b: TreeNode): TreeNode {
  if (!a.children || !b.children) return { children: a.children ?? b.children, range: b.range ?? a.range };
  const children = new Map(a.children);
  for (const [k, v] of b.children) children.set(k, children.has(k) ? merge(children.get(k)!, v) : v);
  return { children, range: b.range ?? a.range };
}
