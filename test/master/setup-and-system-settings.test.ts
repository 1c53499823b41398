/** The login page's first-run facts (anonymous), and Manage Jonkkins → System: the public URL builds get. */
import test, { type ExecutionContext } from 'ava';
import { agentLogin, bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

// The shared master's settings are never changed (refused changes only); a test that changes a
// system-wide setting, or needs an empty system, has a master of its own.
let m: TestMaster;
let admin: string;
let alice: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'alice', password: 'alice-password' } });
  alice = await login(m.url, 'alice', 'alice-password');
});
test.after.always(() => m?.close());

async function ownMaster(t: ExecutionContext): Promise<TestMaster> {
  const own = await startTestMaster();
  t.teardown(() => own.close());
  return own;
}

const setup = (master: TestMaster, headers: Record<string, string> = {}) => call(master.url, 'GET', '/api/setup', { headers });

test('on an empty system the login page learns that the first user becomes admin, without a token', async (t) => {
  const own = await ownMaster(t);
  const res = await setup(own);
  t.is(res.status, 200);
  t.deepEqual(res.body, { needsAdmin: true, selfSignup: false, setupCodeRequired: false });
  await bootstrapAdmin(own.url);
  t.deepEqual((await setup(own)).body, { needsAdmin: false, selfSignup: false, setupCodeRequired: false });
});

test('GET /api/setup tells whether self sign-up is on, and nothing else, even with a stale token', async (t) => {
  const own = await ownMaster(t);
  const token = await bootstrapAdmin(own.url);
  await call(own.url, 'PUT', '/api/settings/security', { token, json: { selfSignup: true } });
  const res = await setup(own, { authorization: 'Bearer not.a.token' });
  t.is(res.status, 200);
  t.deepEqual(res.body, { needsAdmin: false, selfSignup: true, setupCodeRequired: false });
  await call(own.url, 'PUT', '/api/settings/security', { token, json: { selfSignup: false } });
  t.deepEqual((await setup(own)).body, { needsAdmin: false, selfSignup: false, setupCodeRequired: false });
});

test('the System settings are for admins only', async (t) => {
  t.is((await call(m.url, 'GET', '/api/settings/system')).status, 401);
  t.is((await call(m.url, 'GET', '/api/settings/system', { token: alice })).status, 403);
  t.is((await call(m.url, 'PUT', '/api/settings/system', { token: alice, json: { publicUrl: 'http://evil.example/' } })).status, 403);
});

test('until an admin sets one, the public URL is the configured one', async (t) => {
  const res = await call(m.url, 'GET', '/api/settings/system', { token: admin });
  t.is(res.status, 200);
  t.deepEqual(res.body, { publicUrl: 'http://jonkkins.test/' });
});

const accepted: [string, string][] = [
  ['https://ci.example.com', 'https://ci.example.com/'],
  ['https://CI.Example.com:8443/jenkins', 'https://ci.example.com:8443/jenkins/'],
  ['http://10.0.0.5:8080/ci/', 'http://10.0.0.5:8080/ci/'],
];
for (const [given, stored] of accepted) {
  test(`a public URL of ${given} is stored as ${stored}`, async (t) => {
    const own = await ownMaster(t);
    const token = await bootstrapAdmin(own.url);
    const res = await call(own.url, 'PUT', '/api/settings/system', { token, json: { publicUrl: given } });
    t.is(res.status, 200);
    t.deepEqual(res.body, { publicUrl: stored });
    t.deepEqual((await call(own.url, 'GET', '/api/settings/system', { token })).body, { publicUrl: stored });
  });
}

const refused: [string, unknown][] = [
  ['a relative path', { publicUrl: '/jenkins/' }],
  ['an ftp URL', { publicUrl: 'ftp://ci.example.com/' }],
  ['no URL at all', { publicUrl: 'ci.example.com' }],
  ['a URL with a user', { publicUrl: 'https://bob:pw@ci.example.com/' }],
  ['a URL with a query', { publicUrl: 'https://ci.example.com/?x=1' }],
  ['a URL with a fragment', { publicUrl: 'https://ci.example.com/#top' }],
  ['a number', { publicUrl: 8080 }],
  ['nothing', {}],
];
for (const [what, body] of refused) {
  test(`a public URL of ${what} → 400 naming publicUrl`, async (t) => {
    const res = await call(m.url, 'PUT', '/api/settings/system', { token: admin, json: body });
    t.is(res.status, 400);
    t.true(res.body.error.details.some((d: { field: string }) => d.field === 'publicUrl'), JSON.stringify(res.body.error));
  });
}

test('an unknown field is refused', async (t) => {
  const res = await call(m.url, 'PUT', '/api/settings/system', { token: admin, json: { publicUrl: 'https://ci.example.com/', theme: 'dark' } });
  t.is(res.status, 400);
  t.regex(res.body.error.message, /unknown field.*theme/);
});

test('builds get the saved public URL as JONKKINS_URL, BUILD_URL and JOB_URL at once', async (t) => {
  const own = await ownMaster(t);
  const admin = await bootstrapAdmin(own.url);
  await call(own.url, 'PUT', '/api/settings/system', { token: admin, json: { publicUrl: 'https://ci.example.com/jk' } });
  const { body: agent } = await call(own.url, 'POST', '/api/agents', { token: admin, json: { name: 'a1', executors: 1 } });
  const agentToken = (await call(own.url, 'POST', '/login-slave', { json: agentLogin('a1', agent.secret) })).text;
  await call(own.url, 'POST', '/api/jobs', { token: admin, json: { name: 'url job', steps: [{ type: 'shell', script: 'true' }] } });
  const { body: queued } = await call(own.url, 'POST', '/api/jobs/url%20job/builds', { token: admin, json: {} });
  const spec = await call(own.url, 'POST', `/api/agent/builds/${queued.queueId}/start`, { token: agentToken, json: { executor: 0 } });
  t.is(spec.status, 200, spec.text);
  t.like(spec.body.env, {
    JONKKINS_URL: 'https://ci.example.com/jk/',
    JENKINS_URL: 'https://ci.example.com/jk/',
    JOB_URL: 'https://ci.example.com/jk/job/url%20job/',
    BUILD_URL: 'https://ci.example.com/jk/job/url%20job/1/',
  });
});
