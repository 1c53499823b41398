/**
 * What every Jenkins-compatible answer shares: `api/json` and `api/xml` pruned by `depth=` and
 * `tree=`, redirects (clients such as node `jenkins` require exactly 302), absolute URLs, the
 * `X-Error` header Jenkins' failures carry (node `jenkins` copies it into its error message), and
 * form parameters read from the query and the body alike.
 */
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { AuthState } from '../auth/principal.ts';
import { DomainError, ForbiddenError, ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import { prune, toXml } from './exported.ts';
import { parseTree } from './tree.ts';

/** The Jenkins version Jonkkins answers as (`X-Jenkins`): python-jenkins' get_version reads it. */
export const JENKINS_VERSION = '2.479.3';

/** Deeper than this, `depth=` answers would only grow: Jenkins clients ask for 0–2. */
export const MAX_DEPTH = 5;

const ApiQuery = z.object({
  depth: z.coerce.number().int().min(0).max(MAX_DEPTH, `depth is at most ${MAX_DEPTH}`).default(0),
  tree: z.string().optional(),
  pretty: z.string().optional(),
});

/** Answers `model` as Jenkins' api/json or api/xml (`format`), pruned by the request's depth= and tree=. */
export async function answerApi(ctx: Context, model: unknown, format: string | undefined = 'json'): Promise<void> {
  const q = parseInput(ApiQuery, { depth: first(ctx.query.depth), tree: first(ctx.query.tree), pretty: first(ctx.query.pretty) }, 'query');
  const tree = q.tree === undefined || q.tree === '' ? undefined : parseTree(q.tree);
  const pruned = await prune(model, { depth: q.depth, tree });
  if (format === 'xml') {
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = toXml(pruned);
    return;
  }
  if (format !== 'json') throw new ValidationError(`api/${format} is not served: use api/json or api/xml`);
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = JSON.stringify(pruned, null, q.pretty === 'true' ? 2 : undefined);
}

/** Koa's query values may be arrays (`?a=1&a=2`): Jenkins reads the first. */
export const first = (v: unknown): string | undefined => (Array.isArray(v) ? v[0] : typeof v === 'string' ? v : undefined);

/** A parameter as Jenkins reads it: from the query string or an urlencoded form body. */
export function param(ctx: Context, name: string): string | undefined {
  const body = ctx.request.body;
  const fromBody = body && typeof body === 'object' && !Array.isArray(body) ? first((body as Record<string, unknown>)[name]) : undefined;
  return first(ctx.query[name]) ?? fromBody;
}

/**
 * A form sent without a Content-Type (python-jenkins' set_next_build_number posts bare bytes):
 * read as urlencoded, at most `limit` bytes. Only for the routes that need it; others ignore such bodies.
 */
export async function untypedForm(ctx: Context, limit = 4096): Promise<URLSearchParams> {
  if (ctx.get('Content-Type') || ctx.req.readableEnded) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ValidationError(`A form without a Content-Type may be at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A parameter Jenkins requires: 400 "Query parameter 'name' is required" without it. */
export function requiredParam(ctx: Context, name: string): string {
  const value = param(ctx, name);
  if (value === undefined || value === '') throw new ValidationError(`Query parameter '${name}' is required`);
  return value;
}

/** The request's own origin, as Stapler makes a redirect absolute (behind a trusted proxy: the proxy's). */
export const origin = (ctx: Context): string => `${ctx.protocol}://${ctx.host}`;

/** Jenkins' HttpRedirect: 302 to a path of this server (absolute, from the request). */
export function redirect(ctx: Context, path: string): void {
  ctx.status = 302;
  ctx.set('Location', `${origin(ctx)}${path}`);
  ctx.body = '';
}

/** Failures carry their message in `X-Error` too, as Jenkins' do (the JSON body stays ours); a 403 says who asked. */
export const jenkinsErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    if (err instanceof DomainError) ctx.set('X-Error', headerText(err.message));
    const principal = (ctx.state as AuthState).principal;
    if (err instanceof ForbiddenError && principal) ctx.set('X-You-Are-Authenticated-As', headerText(principal.name));
    throw err;
  }
};

/** Header values are Latin-1 at most: other characters become `?` (as Jenkins' do; node `jenkins` turns them back into quotes). */
const headerText = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

/** Jenkins' URL of a job and of a build, relative to the root. */
export const jobPath = (name: string) => `job/${encodeURIComponent(name)}/`;
export const buildPath = (name: string, number: number) => `${jobPath(name)}${number}/`;
