/** A small fetch wrapper for tests: JSON in, status + headers + parsed body out. */
import { PROTOCOL_VERSION } from '../../shared/src/agent-protocol.ts';
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; raw?: string; headers?: Record<string, string>; redirect?: RequestRedirect } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.raw !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = opts.raw;
  }
  const res = await fetch(`${base}${path}`, { method, headers, body, redirect: opts.redirect ?? 'follow' });
  const text = await res.text();
  let parsed: unknown = text;
  if (res.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** Decodes a JWS payload without verifying it (to read claims in assertions). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

export const ADMIN = { username: 'admin', password: 'correct horse battery' };

/** Registers the first user (admin) and logs in; returns the admin's token. */
export async function bootstrapAdmin(base: string): Promise<string> {
  const reg = await call(base, 'POST', '/api/users', { json: ADMIN });
  if (reg.status !== 201) throw new Error(`first user: ${reg.status} ${reg.text}`);
  return login(base, ADMIN.username, ADMIN.password);
}

export async function login(base: string, username: string, password: string): Promise<string> {
  const res = await call(base, 'POST', '/login', { json: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  return res.text;
}

/** The body of an agent's POST /login-slave, stating this build's protocol version as agents do. */
export function agentLogin(name: string, secret: string): { name: string; secret: string; protocolVersion: number } {
  return { name, secret, protocolVersion: PROTOCOL_VERSION };
}

/** The agent session an agent token carries (its `sid` claim): builds belong to it. */
export function sessionOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sid;
}

/** Registers an agent as the admin and logs it in over HTTP (no agent process): its token. */
export async function registeredAgentToken(base: string, admin: string, agent: { name: string; executors: number; labels?: string[] }): Promise<string> {
  const registered = await call(base, 'POST', '/api/agents', { token: admin, json: agent });
  if (registered.status !== 201) throw new Error(`agent ${agent.name}: ${registered.status} ${registered.text}`);
  const login = await call(base, 'POST', '/login-slave', { json: agentLogin(agent.name, registered.body.secret) });
  if (login.status !== 200) throw new Error(`agent ${agent.name} login: ${login.status} ${login.text}`);
  return login.text;
}
