/**
 * Authentication for everything but the public routes. koa-jwt verifies the signature with the
 * algorithm pinned (so `alg: none` and other algorithms fail) and the expiry; this module then
 * checks the claims against the database, so ended sessions (logout, password change), deleted
 * users and revoked agents are refused at once. Accounts are found by id, never by name.
 */
import { createSecretKey } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import jwt from 'koa-jwt';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { AuthState, Principal } from './principal.ts';
import type { SessionsService } from './sessions.ts';
import { TOKEN_ALGORITHM, type TokenClaims } from './tokens.ts';

const Claims = z.object({
  sub: z.string(),
  uid: z.number().int(),
  sid: z.uuid().optional(),
  kind: z.enum(['user', 'agent']),
  role: z.enum(['admin', 'user']).nullable(),
  iat: z.number(),
  exp: z.number(),
  jti: z.string(),
  auth_time: z.number(),
  ver: z.number().optional(),
});

const AgentRow = z.object({ id: z.coerce.number(), name: z.string(), secret_version: z.number() });

export interface AuthenticateOptions {
  key: Buffer;
  pool: DatabasePool;
  sessions: SessionsService;
  sessionMaxAgeSeconds: number;
  now?: () => number;
  /** Requests that may go on without a token (a token, if sent, is still verified). */
  allowAnonymous: (ctx: Context) => boolean;
}

export function authenticate(opts: AuthenticateOptions): Middleware[] {
  const now = opts.now ?? Date.now;
  // A KeyObject: given a Buffer, jsonwebtoken first tries createPublicKey on it for every request.
  // The expiry is checked below against the master's clock (jsonwebtoken would read the real time).
  // (koa-jwt hands its options to jsonwebtoken.verify, whose ignoreExpiration its types omit.)
  const options = { secret: createSecretKey(opts.key) as unknown as Buffer, algorithms: [TOKEN_ALGORITHM], key: 'claims', passthrough: true, ignoreExpiration: true };
  const verify = jwt(options);
  // HTTP Basic (auth/basic-auth.ts) ran first and found the principal: no bearer token to check.
  const verifyBearer: Middleware = (ctx, next) => ((ctx.state as AuthState).principal ? next() : verify(ctx, next));
  const resolve = async (ctx: Context, next: Next) => {
    const state = ctx.state as AuthState & { claims?: unknown; jwtOriginalError?: Error };
    if (state.principal) return next();
    const hasToken = Boolean(ctx.get('Authorization'));
    if (state.claims === undefined) {
      if (hasToken || !opts.allowAnonymous(ctx)) {
        throw new UnauthorizedError(tokenProblem(state.jwtOriginalError, hasToken), { invalidToken: true });
      }
      return next();
    }
    const claims = Claims.safeParse(state.claims);
    if (!claims.success) throw new UnauthorizedError('Token claims are malformed', { invalidToken: true });
    if (now() / 1000 >= claims.data.exp) throw new UnauthorizedError('Token has expired; renew it or log in again', { invalidToken: true });
    if (now() / 1000 - claims.data.auth_time > opts.sessionMaxAgeSeconds) {
      throw new UnauthorizedError('Session has reached its maximum age; log in again', { invalidToken: true });
    }
    state.principal = await loadPrincipal(opts, claims.data);
    return next();
  };
  return [verifyBearer, resolve];
}

async function loadPrincipal(opts: Pick<AuthenticateOptions, 'pool' | 'sessions'>, c: TokenClaims): Promise<Principal> {
  const common = { authTime: c.auth_time, expiresAt: c.exp, jti: c.jti };
  if (c.kind === 'user') {
    const user = c.sid === undefined ? null : await opts.sessions.user(c.sid, c.uid);
    if (!user) throw new UnauthorizedError('This session has ended (logged out, password changed or account deleted); log in again', { invalidToken: true });
    // The role comes from the database, not the token, so a demotion takes effect at once.
    return { kind: 'user', id: user.id, name: user.username, role: user.role, sessionId: c.sid!, via: 'session', ...common };
  }
  const agent = await opts.pool.maybeOne(sql.type(AgentRow)`SELECT id, name, secret_version FROM agents WHERE id = ${c.uid}`);
  if (!agent || agent.secret_version !== c.ver) throw new UnauthorizedError('Agent token has been revoked', { invalidToken: true });
  if (!c.sid) throw new UnauthorizedError('Agent token carries no session; log in again', { invalidToken: true });
  return { kind: 'agent', id: agent.id, name: agent.name, role: null, secretVersion: agent.secret_version, session: c.sid, ...common };
}

function tokenProblem(err: Error | undefined, hasToken: boolean): string {
  if (!hasToken) return 'Authentication required: send Authorization: Bearer <token>';
  if (err?.name === 'TokenExpiredError') return 'Token has expired; renew it or log in again';
  return 'Invalid token';
}

/** The principal of an authenticated request (the authenticate middleware has run). */
export function principalOf(ctx: Context): Principal {
  const principal = (ctx.state as AuthState).principal;
  if (!principal) throw new UnauthorizedError('Authentication required', { invalidToken: true });
  return principal;
}

/** Guard for people's endpoints: agent tokens are refused. */
export const requireUser: Middleware = async (ctx, next) => {
  if (principalOf(ctx).kind !== 'user') throw new ForbiddenError('This endpoint is for people, not agents');
  return next();
};

/** Guard for admin endpoints. */
export const requireAdmin: Middleware = async (ctx, next) => {
  const p = principalOf(ctx);
  if (p.kind !== 'user') throw new ForbiddenError('This endpoint is for people, not agents');
  if (p.role !== 'admin') throw new ForbiddenError('Only an administrator may do this');
  return next();
};

/** Guard for the agent API: people's tokens are refused. */
export const requireAgent: Middleware = async (ctx, next) => {
  if (principalOf(ctx).kind !== 'agent') throw new ForbiddenError('This endpoint is for agents');
  return next();
};

/** The agent asking, and the session its token carries (a build belongs to one session). 403 for people. */
export function agentOf(ctx: Context): { name: string; session: string } {
  const p = principalOf(ctx);
  if (p.kind !== 'agent') throw new ForbiddenError('This endpoint is for agents');
  return { name: p.name, session: p.session };
}
