/**
 * PostgreSQL stores no NUL character (text nor jsonb) and jsonb no unpaired surrogate: a request
 * carrying one would fail at the database, a 500 after the work was done. This refuses them at the
 * door, wherever they are — path, query, JSON body keys and values — with a 400 naming the field.
 * The body walk is a loop, not a recursion: a 1 MB body can nest 500,000 levels deep.
 * Agents' calls (/api/agent/…) are left to the protocol: a console's bytes travel as base64, and
 * a refused finish would leave a build running.
 */
import type { Context, Next } from 'koa';
import { ValidationError } from '../errors.ts';

const unstorable = (s: string): boolean => s.includes('\u0000') || !s.isWellFormed();
const PROBLEM = 'must not contain NUL characters (U+0000) or unpaired surrogates';

/** The path of the first string in `value` that cannot be stored, or null. */
function firstUnstorable(value: unknown, root: string): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (unstorable(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], path ? `${path}.${i}` : String(i)]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (unstorable(k)) return at;
        stack.push([item, at]);
      }
    }
  }
  return null;
}

export async function refuseUnstorableText(ctx: Context, next: Next): Promise<void> {
  if (ctx.path.startsWith('/api/agent/')) return next();
  let path: string;
  try {
    path = decodeURIComponent(ctx.path);
  } catch {
    throw new ValidationError('The request path is not valid percent-encoded UTF-8');
  }
  const field = unstorable(path) ? 'path' : (firstUnstorable(ctx.query, 'query') ?? firstUnstorable(ctx.request.body, ''));
  if (field !== null) {
    const shown = field.length > 200 ? `${field.slice(0, 200)}…` : field;
    throw new ValidationError(`Invalid request: ${shown || 'body'}: ${PROBLEM}`, [{ field: shown, message: PROBLEM }]);
  }
  await next();
}
