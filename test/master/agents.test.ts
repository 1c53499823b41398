import test from 'ava';
import { agentLogin, bootstrapAdmin, call, claimsOf } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const register = (json: object) => call(m.url, 'POST', '/api/agents', { token: admin, json });
const loginSlave = (name: string, secret: string) => call(m.url, 'POST', '/login-slave', { json: agentLogin(name, secret) });

test('an admin registers an agent; its secret is shown once and logs it in', async (t) => {
  const res = await register({ name: 'linux-1', executors: 4, labels: ['linux', 'docker'], description: 'the big one' });
  t.is(res.status, 201);
  t.like(res.body, { name: 'linux-1', executors: 4, labels: ['linux', 'docker'], description: 'the big one', online: false });
  t.regex(res.body.secret, /^[A-Za-z0-9_-]{43}$/);
  const listed = await call(m.url, 'GET', '/api/agents', { token: admin });
  t.false(JSON.stringify(listed.body).includes(res.body.secret));
  t.false('secret' in (await call(m.url, 'GET', '/api/agents/linux-1', { token: admin })).body);

  const login = await loginSlave('linux-1', res.body.secret);
  t.is(login.status, 200);
  t.is(login.headers.get('authorization'), `Bearer ${login.text}`);
  const claims = claimsOf(login.text);
  t.like(claims, { sub: 'linux-1', kind: 'agent', role: null });
  t.is(claims.exp - claims.iat, 900);
  // The agent token is refused on people's endpoints...
  t.is((await call(m.url, 'GET', '/api/users', { token: login.text })).status, 403);
  // ...and works on the agent API, which marks the agent online.
  t.is((await call(m.url, 'POST', '/api/agent/heartbeat', { token: login.text })).status, 204);
  const agent = await call(m.url, 'GET', '/api/agents/linux-1', { token: admin });
  t.true(agent.body.online);
  t.true(Date.parse(agent.body.lastSeenAt) > Date.now() - 10_000);
});

test('a regenerated secret voids the old secret and every token issued under it', async (t) => {
  const { body: first } = await register({ name: 'rotating', executors: 1 });
  const oldToken = (await loginSlave('rotating', first.secret)).text;
  const regen = await call(m.url, 'POST', '/api/agents/rotating/secret', { token: admin });
  t.is(regen.status, 200);
  t.not(regen.body.secret, first.secret);
  t.is((await loginSlave('rotating', first.secret)).status, 401);
  const oldUse = await call(m.url, 'POST', '/api/agent/heartbeat', { token: oldToken });
  t.is(oldUse.status, 401);
  t.is(oldUse.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  const fresh = await loginSlave('rotating', regen.body.secret);
  t.is(fresh.status, 200);
  t.is((await call(m.url, 'POST', '/api/token', { token: fresh.text })).status, 200);
});

test('a deleted agent can no longer log in or use its token', async (t) => {
  const { body } = await register({ name: 'doomed', executors: 1 });
  const token = (await loginSlave('doomed', body.secret)).text;
  t.is((await call(m.url, 'DELETE', '/api/agents/doomed', { token: admin })).status, 204);
  t.is((await call(m.url, 'POST', '/api/agent/heartbeat', { token })).status, 401);
  t.is((await loginSlave('doomed', body.secret)).status, 401);
  t.is((await call(m.url, 'DELETE', '/api/agents/doomed', { token: admin })).status, 404);
});

test('an admin changes executors and labels', async (t) => {
  await register({ name: 'mutable', executors: 1, labels: ['a'] });
  const res = await call(m.url, 'PATCH', '/api/agents/mutable', { token: admin, json: { executors: 8, labels: ['b', 'c'] } });
  t.is(res.status, 200);
  t.like(res.body, { executors: 8, labels: ['b', 'c'] });
  t.is((await call(m.url, 'PATCH', '/api/agents/mutable', { token: admin, json: { executors: 65 } })).status, 400);
});

const badAgents: [string, object, string][] = [
  ['0 executors', { name: 'a0', executors: 0 }, 'executors'],
  ['65 executors', { name: 'a65', executors: 65 }, 'executors'],
  ['fractional executors', { name: 'af', executors: 1.5 }, 'executors'],
  ['a name with a space', { name: 'my agent', executors: 1 }, 'name'],
  ['a label with an operator', { name: 'al', executors: 1, labels: ['a&&b'] }, 'labels.0'],
  ['a label with whitespace', { name: 'al', executors: 1, labels: ['ok', 'a b'] }, 'labels.1'],
  ['an unknown field', { name: 'au', executors: 1, secret: 'mine' }, ''],
];
for (const [what, body, field] of badAgents) {
  test(`registering an agent with ${what} → 400 naming ${field || 'the body'}`, async (t) => {
    const res = await register(body);
    t.is(res.status, 400);
    t.true(res.body.error.details.some((d: { field: string }) => d.field === field), JSON.stringify(res.body));
  });
}

test('agent names are unique case-insensitively', async (t) => {
  await register({ name: 'Unique', executors: 1 });
  t.is((await register({ name: 'UNIQUE', executors: 1 })).status, 409);
});

test('a wrong agent secret and an unknown agent get the same 401', async (t) => {
  await register({ name: 'known', executors: 1 });
  const a = await loginSlave('known', 'wrong');
  const b = await loginSlave('unknown', 'wrong');
  t.is(a.status, 401);
  t.deepEqual(a.body, b.body);
});

test('/login-slave is throttled like /login: 429 with Retry-After after repeated failures', async (t) => {
  const { body } = await register({ name: 'hammered', executors: 1 });
  let last = await loginSlave('hammered', 'wrong');
  for (let i = 0; i < 10 && last.status === 401; i++) last = await loginSlave('hammered', 'wrong');
  t.is(last.status, 429);
  t.true(Number(last.headers.get('retry-after')) >= 1);
  // While blocked, even the right secret is refused: the throttle answers before the secret is checked.
  t.is((await loginSlave('hammered', body.secret)).status, 429);
});
