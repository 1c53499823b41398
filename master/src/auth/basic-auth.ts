/**
 * HTTP Basic for scripts and Jenkins clients (`curl -u user:token`, python-jenkins, node
 * `jenkins`): the password part is an API token (api-tokens.ts: one indexed look-up, no throttle,
 * no slow hash) or the account's password (argon2, under the login throttle, as POST /login).
 * It runs before the bearer check (authenticate.ts skips a request it has already answered) and
 * sets a principal with no session: every request sends its credentials again.
 *
 * CSRF (Jenkins' crumbs): a browser that once learnt a Basic password sends it by itself, so a
 * request that changes something with a *password* must also carry the crumb
 * (`Jenkins-Crumb` header, from /crumbIssuer/api/json). API tokens need none, as in Jenkins
 * (ApiCrumbExclusion), and neither do bearer tokens: no browser adds them by itself.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Role } from '../../../shared/src/identity.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { ApiTokensService } from './api-tokens.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { AuthState, Principal } from './principal.ts';

/** A Basic request's principal lives as long as a bearer token would (a live stream it opens ends then). */
const BASIC_PRINCIPAL_SECONDS = 900;
/** Jenkins' crumb field: the header (or form field) name clients read from the crumb issuer. */
export const CRUMB_FIELD = 'Jenkins-Crumb';

export interface BasicAuthDeps {
  tokens: ApiTokensService;
  /** Checks a person's password (401 when wrong; unknown names cost the same). */
  checkPassword(username: string, password: string): Promise<{ id: number; username: string; role: Role }>;
  throttle: LoginThrottle;
  signingKey: Buffer;
  now: () => number;
}

export function basicAuthentication(deps: BasicAuthDeps): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('Authorization');
    if (!/^basic /i.test(header)) return next();
    const { username, secret } = decodeBasic(header);
    const principal = await identify(deps, ctx, username, secret);
    if (principal.via === 'password' && !SAFE_METHODS.has(ctx.method)) requireCrumb(deps.signingKey, principal, ctx);
    (ctx.state as AuthState).principal = principal;
    return next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function decodeBasic(header: string): { username: string; secret: string } {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new UnauthorizedError('Malformed HTTP Basic credentials: expected base64 of user:token');
  return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

async function identify(deps: BasicAuthDeps, ctx: Context, username: string, secret: string): Promise<Principal & { kind: 'user' }> {
  const seconds = Math.floor(deps.now() / 1000);
  const common = { authTime: seconds, expiresAt: seconds + BASIC_PRINCIPAL_SECONDS, kind: 'user' as const };
  const owner = await deps.tokens.verify(username, secret);
  if (owner) return { ...common, id: owner.id, name: owner.username, role: owner.role, jti: `api-token:${owner.uuid}`, sessionId: null, via: 'apiToken' };
  const user = await deps.throttle.attempt('user', username, ctx.ip, async () => {
    try {
      return await deps.checkPassword(username, secret);
    } catch (err) {
      if ((err as { status?: number }).status === 401) throw new UnauthorizedError(`Invalid password/token for user: ${username}`);
      throw err;
    }
  });
  return { ...common, id: user.id, name: user.username, role: user.role, jti: 'basic-password', sessionId: null, via: 'password' };
}

/** The crumb of a person (and session, when there is one): an HMAC only the master can make. */
export function crumbFor(signingKey: Buffer, principal: Principal): string {
  return createHmac('sha256', signingKey).update(`jenkins-crumb\0${principal.kind}\0${principal.id}\0${principal.kind === 'user' ? (principal.sessionId ?? '') : ''}`).digest('hex');
}

function requireCrumb(signingKey: Buffer, principal: Principal, ctx: Context): void {
  const sent = Buffer.from(ctx.get(CRUMB_FIELD), 'utf8');
  const expected = Buffer.from(crumbFor(signingKey, principal), 'utf8');
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw new ForbiddenError(`No valid crumb was included in the request (send the ${CRUMB_FIELD} header from /crumbIssuer/api/json, or use an API token)`);
  }
}
