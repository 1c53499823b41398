/**
 * The login contract fixed by the product brief: POST /login and POST /login-slave answer with
 * `Authorization: Bearer <JWS>` and the same token as a text/plain body. POST /api/token renews
 * (the same session); POST /logout ends a person's session.
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { AgentLoginRequest, PROTOCOL_VERSION, UNSTATED_PROTOCOL_VERSION } from '../../../shared/src/agent-protocol.ts';
import { LoginRequest } from '../../../shared/src/identity.ts';
import type { AgentsService } from '../agents/agents.ts';
import { ForbiddenError, UnsupportedProtocolError } from '../errors.ts';
import type { EventPublisher } from '../events/event-bus.ts';
import { parseInput } from '../http/validate.ts';
import type { UsersService } from '../users/users.ts';
import { principalOf, requireUser } from './authenticate.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { SessionsService } from './sessions.ts';
import type { TokenIssuer } from './tokens.ts';

export interface LoginDeps {
  users: UsersService;
  agents: AgentsService;
  tokens: TokenIssuer;
  sessions: SessionsService;
  throttle: LoginThrottle;
  now: () => number;
  events: EventPublisher;
  /** An agent logged in with session `sid`: what its other sessions left running ends now. */
  sessionStarted: (agent: string, sid: string) => Promise<void>;
}

function sendToken(ctx: Context, token: string) {
  ctx.set('Authorization', `Bearer ${token}`);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/plain';
  ctx.body = token;
}

/** Runs a credential check under the throttle (LoginThrottle.attempt). */
const throttled = <T>(deps: LoginDeps, kind: string, name: string, ctx: Context, check: () => Promise<T>): Promise<T> => deps.throttle.attempt(kind, name, ctx.ip, check);

export function publicLoginRoutes(deps: LoginDeps): Router {
  const router = new Router();
  const nowSeconds = () => Math.floor(deps.now() / 1000);

  router.post('/login', async (ctx) => {
    const { username, password } = parseInput(LoginRequest, ctx.request.body);
    const user = await throttled(deps, 'user', username, ctx, () => deps.users.authenticate(username, password));
    const authTime = nowSeconds();
    const sid = await deps.sessions.start(user.id, authTime);
    const { token } = await deps.tokens.issue({ sub: user.username, uid: user.id, sid, kind: 'user', role: user.role, authTime });
    sendToken(ctx, token);
  });

  router.post('/login-slave', async (ctx) => {
    const { name, secret, session, protocolVersion = UNSTATED_PROTOCOL_VERSION, agentVersion = null, probedLabels = [] } = parseInput(AgentLoginRequest, ctx.request.body);
    checkProtocolVersion(protocolVersion);
    const agent = await throttled(deps, 'agent', name, ctx, () => deps.agents.authenticate(name, secret, { protocolVersion, agentVersion, probedLabels }));
    if (agent.cameOnline) deps.events.publish({ type: 'agent.online', agent: agent.name });
    // The agent process names its session (a login again after a 401 continues it); one that
    // does not gets a new one. Either way, builds of the agent's other sessions are lost.
    const sid = session ?? randomUUID();
    await deps.sessionStarted(agent.name, sid);
    const { token } = await deps.tokens.issue({ sub: agent.name, uid: agent.id, kind: 'agent', role: null, authTime: nowSeconds(), ver: agent.secretVersion, sid });
    sendToken(ctx, token);
  });
  return router;
}

/**
 * Refused before the credentials are checked: the agent cannot speak to this master whoever it is
 * (so it is not marked online), and the message is all it prints before it exits.
 */
function checkProtocolVersion(stated: number): void {
  if (stated === PROTOCOL_VERSION) return;
  throw new UnsupportedProtocolError(
    `this agent speaks agent protocol version ${stated}, this master speaks version ${PROTOCOL_VERSION}: ` +
      `run the same Jonkkins version on the agent as on the master`,
  );
}

/** A person's session: renewing needs one (HTTP Basic requests have none: they send their credentials every time). */
function sessionOf(p: { sessionId: string | null }): string {
  if (p.sessionId === null) throw new ForbiddenError('Only a login session can be renewed: HTTP Basic requests send their credentials each time');
  return p.sessionId;
}

/**
 * Authenticated: a fresh 15-minute token for the same session (same auth_time and session id),
 * people and agents alike; and logout, which ends the session so none of its tokens works again.
 */
export function sessionRoutes(deps: Pick<LoginDeps, 'tokens' | 'sessions'>): Router {
  const router = new Router();
  router.post('/api/token', async (ctx) => {
    const p = principalOf(ctx);
    const { token } = await deps.tokens.issue({
      sub: p.name,
      uid: p.id,
      kind: p.kind,
      role: p.role,
      authTime: p.authTime,
      ...(p.kind === 'agent' ? { ver: p.secretVersion, sid: p.session } : { sid: sessionOf(p) }),
    });
    sendToken(ctx, token);
  });
  // Agents have no session to end: their tokens stop working when their secret is regenerated.
  router.post('/logout', requireUser, async (ctx) => {
    const p = principalOf(ctx);
    if (p.kind === 'user' && p.sessionId !== null) await deps.sessions.end(p.sessionId);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });
  router.get('/api/whoami', async (ctx) => {
    const p = principalOf(ctx);
    ctx.body = {
      kind: p.kind,
      name: p.name,
      role: p.role,
      authTime: new Date(p.authTime * 1000).toISOString(),
      expiresAt: new Date(p.expiresAt * 1000).toISOString(),
    };
  });
  return router;
}
