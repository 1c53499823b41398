/**
 * Tokens stand for a session of an account: logout and a password change end sessions at once,
 * and a deleted account's tokens never come back to life in a new account of the same name.
 */
import test from 'ava';
import { agentLogin, ADMIN, bootstrapAdmin, call, claimsOf, login } from '../helpers/http.ts';
import { sessionToken } from '../helpers/sessions.ts';
import { openSse } from '../helpers/sse.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

async function createUser(username: string, password = `${username}-password`): Promise<void> {
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username, password } });
  if (res.status !== 201) throw new Error(`${username}: ${res.status} ${res.text}`);
}
const whoami = async (token: string) => (await call(m.url, 'GET', '/api/whoami', { token })).status;
const renew = async (token: string) => call(m.url, 'POST', '/api/token', { token });

test('POST /logout ends the session: its tokens, renewed ones included, are refused; other sessions go on', async (t) => {
  await createUser('lou');
  const [a, b] = [await login(m.url, 'lou', 'lou-password'), await login(m.url, 'lou', 'lou-password')];
  const renewed = (await renew(a)).text;
  t.is(claimsOf(renewed).sid, claimsOf(a).sid, 'renewal keeps the session');
  const out = await call(m.url, 'POST', '/logout', { token: a });
  t.is(out.status, 204);
  for (const token of [a, renewed]) {
    t.is(await whoami(token), 401);
    t.is((await renew(token)).status, 401);
  }
  t.regex((await call(m.url, 'GET', '/api/whoami', { token: a })).body.error.message, /session has ended/);
  t.is(await whoami(b), 200, 'the other session (another device) is still logged in');
  t.is((await call(m.url, 'POST', '/logout')).status, 401, 'logging out needs a token');
});

test('changing one’s own password ends the other sessions and keeps the one that changed it', async (t) => {
  await createUser('pat');
  const [here, elsewhere] = [await login(m.url, 'pat', 'pat-password'), await login(m.url, 'pat', 'pat-password')];
  const res = await call(m.url, 'PATCH', '/api/users/pat', { token: here, json: { password: 'pat-new-password', currentPassword: 'pat-password' } });
  t.is(res.status, 200, res.text);
  t.is(await whoami(elsewhere), 401);
  t.is((await renew(elsewhere)).status, 401, 'and cannot be renewed');
  t.is(await whoami(here), 200);
  t.is(await whoami(await login(m.url, 'pat', 'pat-new-password')), 200);
});

test('an admin resetting someone’s password ends all of that person’s sessions, and only theirs', async (t) => {
  await createUser('sam');
  const sam = await login(m.url, 'sam', 'sam-password');
  const res = await call(m.url, 'PATCH', '/api/users/sam', { token: admin, json: { password: 'sam-reset-password' } });
  t.is(res.status, 200, res.text);
  t.is(await whoami(sam), 401);
  t.is(await whoami(admin), 200);
  // A change that is not a password ends nothing.
  const fresh = await login(m.url, 'sam', 'sam-reset-password');
  t.is((await call(m.url, 'PATCH', '/api/users/sam', { token: admin, json: { fullName: 'Sam' } })).status, 200);
  t.is(await whoami(fresh), 200);
});

test('a token of a deleted user does not come back to life when a new user takes the name', async (t) => {
  await createUser('bob', 'old-bob-password');
  const oldBob = await login(m.url, 'bob', 'old-bob-password');
  t.is((await call(m.url, 'DELETE', '/api/users/bob', { token: admin })).status, 204);
  await createUser('bob', 'new-bob-password');
  t.is(await whoami(oldBob), 401);
  t.is((await renew(oldBob)).status, 401);
  t.is(await whoami(await login(m.url, 'bob', 'new-bob-password')), 200);
});

test('an agent token of a deleted agent does not work for a new agent of the same name', async (t) => {
  const first = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'reborn', executors: 1 } });
  const oldToken = (await call(m.url, 'POST', '/login-slave', { json: agentLogin('reborn', first.body.secret) })).text;
  t.is((await call(m.url, 'POST', '/api/agent/heartbeat', { token: oldToken })).status, 204);
  t.is((await call(m.url, 'DELETE', '/api/agents/reborn', { token: admin })).status, 204);
  t.is((await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'reborn', executors: 1 } })).status, 201);
  t.is((await call(m.url, 'POST', '/api/agent/heartbeat', { token: oldToken })).status, 401);
});

test('an agent has no session to log out of: 403', async (t) => {
  const agent = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'no-logout', executors: 1 } });
  const token = (await call(m.url, 'POST', '/login-slave', { json: agentLogin('no-logout', agent.body.secret) })).text;
  t.is((await call(m.url, 'POST', '/logout', { token })).status, 403);
  t.is((await call(m.url, 'POST', '/api/agent/heartbeat', { token })).status, 204);
});

test('the admin’s own logout does not touch the admin’s other sessions', async (t) => {
  const other = await login(m.url, ADMIN.username, ADMIN.password);
  t.is((await call(m.url, 'POST', '/logout', { token: other })).status, 204);
  t.is(await whoami(admin), 200);
});

test('a live stream ends when the token that opened it expires (the client reconnects with a renewed one)', async (t) => {
  await createUser('viewer');
  const token = await sessionToken(m, 'viewer', { issuedAgoMs: 890_000 }); // 10 seconds left
  const sse = await openSse(`${m.url}/api/events`, token);
  t.teardown(() => sse.close());
  await sse.ended;
  t.is(await whoami(token), 401, 'by then the token has expired');
});
