import { randomBytes, randomUUID } from 'node:crypto';
import test from 'ava';
import { SignJWT } from 'jose';
import { TokenIssuer } from '../../master/src/auth/tokens.ts';
import { agentLogin, bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agentToken: string;
let userToken: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'ursula', password: 'ursula-password' } });
  userToken = await login(m.url, 'ursula', 'ursula-password');
  const agent = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'builder-1', executors: 2, labels: ['linux'] } });
  agentToken = (await call(m.url, 'POST', '/login-slave', { json: agentLogin('builder-1', agent.body.secret) })).text;
});
test.after.always(() => m?.close());

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const adminClaims = () => ({ sub: 'admin', kind: 'user', role: 'admin', iat: now(), exp: now() + 900, jti: 'x', auth_time: now() });

/** Tokens that must all be refused with 401 and WWW-Authenticate: Bearer error="invalid_token". */
const refused: [string, () => Promise<string | undefined>][] = [
  ['no token at all', async () => undefined],
  ['a malformed token', async () => 'not.a.jwt'],
  ['a token that is not even three parts', async () => 'garbage'],
  ['a token signed with another key', async () => new SignJWT(adminClaims()).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(48))],
  ['a tampered payload', async () => {
    const [h, , s] = (await new TokenIssuer(m.signingKey).issue({ sub: 'ursula', uid: 2, kind: 'user', role: 'user', authTime: now() })).token.split('.');
    return `${h}.${b64({ ...adminClaims() })}.${s}`;
  }],
  ['alg: none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(adminClaims())}.`],
  ['another algorithm (HS512 with the right key)', async () => new SignJWT(adminClaims()).setProtectedHeader({ alg: 'HS512' }).sign(m.signingKey)],
  ['an expired token', async () => (await new TokenIssuer(m.signingKey, () => Date.now() - 901_000).issue({ sub: 'admin', uid: 1, kind: 'user', role: 'admin', authTime: now() - 901 })).token],
  ['a token for a user who does not exist', async () => (await new TokenIssuer(m.signingKey).issue({ sub: 'nobody', uid: 999, sid: randomUUID(), kind: 'user', role: 'admin', authTime: now() })).token],
  ['a person’s token of no session (signed with the right key)', async () => (await new TokenIssuer(m.signingKey).issue({ sub: 'admin', uid: 1, kind: 'user', role: 'admin', authTime: now() })).token],
];

for (const [what, make] of refused) {
  test(`${what} → 401 invalid_token`, async (t) => {
    const token = await make();
    const res = await call(m.url, 'GET', '/api/users', { token });
    t.is(res.status, 401);
    t.is(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    t.is(res.body.error.code, 'unauthorized');
  });
}

test('a Basic Authorization header with a wrong password or token is a 401, and never a challenge a browser would prompt for', async (t) => {
  const res = await call(m.url, 'GET', '/api/whoami', { headers: { authorization: 'Basic YWRtaW46cGFzcw==' } });
  t.is(res.status, 401);
  t.is(res.body.error.message, 'Invalid password/token for user: admin');
  t.false(/basic/i.test(res.headers.get('www-authenticate') ?? ''), 'no WWW-Authenticate: Basic (HTTP Basic itself: test/master/jenkins-auth.test.ts)');
});

const forbidden: [string, () => string, string, string, object?][] = [
  ['an agent token on the People list', () => agentToken, 'GET', '/api/users'],
  ['an agent token on agent management', () => agentToken, 'GET', '/api/agents'],
  ['an agent token registering a user', () => agentToken, 'POST', '/api/users', { username: 'x-agent', password: 'password123' }],
  ['a person’s token on the agent API', () => admin, 'POST', '/api/agent/heartbeat'],
  ['a non-admin registering an agent', () => userToken, 'POST', '/api/agents', { name: 'rogue', executors: 1 }],
  ['a non-admin changing security settings', () => userToken, 'PUT', '/api/settings/security', { selfSignup: true }],
  ['a non-admin deleting a user', () => userToken, 'DELETE', '/api/users/admin'],
];
for (const [what, token, method, path, json] of forbidden) {
  test(`${what} → 403`, async (t) => {
    const res = await call(m.url, method, path, { token: token(), json });
    t.is(res.status, 403, res.text);
    t.is(res.body.error.code, 'forbidden');
  });
}

test('every API route needs a token: a sample of them answers 401 without one', async (t) => {
  for (const [method, path] of [['GET', '/api/agents'], ['GET', '/api/whoami'], ['POST', '/api/token'], ['GET', '/api/openapi.json'], ['POST', '/api/agent/heartbeat'], ['GET', '/api/settings/security'], ['GET', '/nonexistent']]) {
    t.is((await call(m.url, method!, path!)).status, 401, `${method} ${path}`);
  }
  t.is((await call(m.url, 'GET', '/healthz')).status, 200);
});
