/**
 * A small, bounded subset of JSONPath for Generic Webhook Trigger's "post content parameters":
 * `$`, `.name`, `['name']` / `["name"]`, `[n]` (negative counts from the end), `[*]` and `.*`.
 * No filters (`?()`), scripts or recursive descent (`..`): filters are where JSONPath libraries
 * have run code (jsonpath-plus CVE-2024-21534) and `..` makes a small payload cost a lot. The
 * expression is at most 512 characters and 32 steps, the payload's depth is checked before (see
 * webhook-body.ts), and a walk visits at most MAX_VISITS nodes, so any evaluation is small.
 */

export class JsonPathError extends Error {}

type Step = { key: string } | { index: number } | { wildcard: true };
const MAX_STEPS = 32;
const MAX_VISITS = 100_000;

export function parseJsonPath(expression: string): Step[] {
  if (expression.length > 512) throw new JsonPathError('a JSONPath expression is at most 512 characters');
  if (!expression.startsWith('$')) throw new JsonPathError('a JSONPath expression starts with $');
  const steps: Step[] = [];
  let i = 1;
  while (i < expression.length) {
    if (steps.length >= MAX_STEPS) throw new JsonPathError(`a JSONPath expression has at most ${MAX_STEPS} steps`);
    const rest = expression.slice(i);
    let m: RegExpExecArray | null;
    if (rest.startsWith('..')) throw new JsonPathError('recursive descent (..) is not supported');
    if ((m = /^\.\*/.exec(rest)) || (m = /^\[\*\]/.exec(rest))) steps.push({ wildcard: true });
    else if ((m = /^\.([A-Za-z_$][\w$-]*)/.exec(rest))) steps.push({ key: m[1]! });
    else if ((m = /^\[(-?\d{1,9})\]/.exec(rest))) steps.push({ index: Number(m[1]) });
    else if ((m = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) || (m = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest))) steps.push({ key: m[1]!.replace(/\\(.)/g, '$1') });
    else throw new JsonPathError(`unsupported JSONPath at '${rest.slice(0, 20)}' (supported: .name, ['name'], [n], [*], .*)`);
    i += m[0].length;
  }
  return steps;
}

/** The values `expression` selects in `document` (a wildcard may select several). */
export function evaluateJsonPath(expression: string, document: unknown): unknown[] {
  const steps = parseJsonPath(expression);
  let current: unknown[] = [document];
  let visits = 0;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (node === null || typeof node !== 'object') continue;
      if ('wildcard' in step) {
        const values = Array.isArray(node) ? node : Object.values(node);
        visits += values.length;
        if (visits > MAX_VISITS) throw new JsonPathError(`the expression visits more than ${MAX_VISITS} values`);
        next.push(...values);
      } else if ('index' in step) {
        if (!Array.isArray(node)) continue;
        const at = step.index < 0 ? node.length + step.index : step.index;
        if (at >= 0 && at < node.length) next.push(node[at]);
      } else if (!Array.isArray(node) && Object.hasOwn(node, step.key)) {
        next.push((node as Record<string, unknown>)[step.key]);
      }
    }
    current = next;
  }
  return current;
}

/**
 * The plugin's text of a selection: nothing → null (the default applies), one string as it is,
 * any other single value or several values as JSON.
 */
export function jsonPathText(expression: string, document: unknown): string | null {
  const values = evaluateJsonPath(expression, document);
  if (values.length === 0) return null;
  if (values.length === 1) {
    const v = values[0];
    if (v === null || v === undefined) return null;
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return JSON.stringify(values);
}
