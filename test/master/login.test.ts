import test from 'ava';
import { TokenIssuer } from '../../master/src/auth/tokens.ts';
import { ADMIN, bootstrapAdmin, call, claimsOf } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
test.before(async () => {
  m = await startTestMaster({ throttle: { perName: 3, perAddress: 8, windowSeconds: 60 } });
  await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

test('/login answers with the Bearer header and the same token as text/plain, valid 900 s', async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const res = await call(m.url, 'POST', '/login', { json: ADMIN });
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
  t.is(res.headers.get('authorization'), `Bearer ${res.text}`);
  const claims = claimsOf(res.text);
  t.like(claims, { sub: 'admin', kind: 'user', role: 'admin' });
  t.is(claims.exp - claims.iat, 900);
  t.true(claims.iat >= before && claims.auth_time === claims.iat);
  t.regex(claims.jti, /^[0-9a-f-]{36}$/);
  const header = JSON.parse(Buffer.from(res.text.split('.')[0]!, 'base64url').toString());
  t.is(header.alg, 'HS256');
});

test('wrong password and unknown user get the same 401 message', async (t) => {
  const wrongPassword = await call(m.url, 'POST', '/login', { json: { username: 'admin', password: 'nope-nope-nope' } });
  const unknownUser = await call(m.url, 'POST', '/login', { json: { username: 'ghost', password: 'nope-nope-nope' } });
  t.is(wrongPassword.status, 401);
  t.is(unknownUser.status, 401);
  t.deepEqual(wrongPassword.body, unknownUser.body);
});

test('a login body that is not {username, password} is a 400', async (t) => {
  t.is((await call(m.url, 'POST', '/login', { json: { username: 'admin' } })).status, 400);
  t.is((await call(m.url, 'POST', '/login', { raw: '{"username":' })).status, 400);
  t.is((await call(m.url, 'POST', '/login')).status, 400);
});

test('repeated failures for one username are throttled with 429 and Retry-After, even with the right password', async (t) => {
  await call(m.url, 'POST', '/api/users', { token: await loginAdmin(), json: { username: 'victim', password: 'victim-password' } });
  for (let i = 0; i < 3; i++) {
    t.is((await call(m.url, 'POST', '/login', { json: { username: 'victim', password: `wrong-${i}-pass` } })).status, 401);
  }
  const blocked = await call(m.url, 'POST', '/login', { json: { username: 'victim', password: 'victim-password' } });
  t.is(blocked.status, 429);
  const retryAfter = Number(blocked.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
  t.is(blocked.body.error.code, 'too_many_requests');
  // Another user from the same address is still allowed (the address limit is higher).
  t.is((await call(m.url, 'POST', '/login', { json: ADMIN })).status, 200);
});

test('renewal gives a fresh 15-minute token for the same session', async (t) => {
  const first = await loginAdmin();
  m.clock.advance(1000); // a later second on the master's clock: iat differs
  const res = await call(m.url, 'POST', '/api/token', { token: first });
  t.is(res.status, 200);
  t.is(res.headers.get('authorization'), `Bearer ${res.text}`);
  const [a, b] = [claimsOf(first), claimsOf(res.text)];
  t.is(b.exp - b.iat, 900);
  t.true(b.iat > a.iat);
  t.is(b.auth_time, a.auth_time);
  t.not(b.jti, a.jti);
  t.is((await call(m.url, 'GET', '/api/whoami', { token: res.text })).body.name, 'admin');
});

test('a session past its maximum age can neither be used nor renewed', async (t) => {
  const thirteenHoursAgo = Math.floor(Date.now() / 1000) - 13 * 3600;
  const { token } = await new TokenIssuer(m.signingKey).issue({ sub: 'admin', uid: 1, kind: 'user', role: 'admin', authTime: thirteenHoursAgo });
  for (const [method, path] of [['POST', '/api/token'], ['GET', '/api/whoami']] as const) {
    const res = await call(m.url, method, path, { token });
    t.is(res.status, 401);
    t.regex(res.body.error.message, /maximum age/);
  }
});

test('whoami tells kind, name, role and expiry', async (t) => {
  const token = await loginAdmin();
  const res = await call(m.url, 'GET', '/api/whoami', { token });
  t.like(res.body, { kind: 'user', name: 'admin', role: 'admin' });
  t.is(Date.parse(res.body.expiresAt) / 1000, claimsOf(token).exp);
});

async function loginAdmin(): Promise<string> {
  return (await call(m.url, 'POST', '/login', { json: ADMIN })).text;
}
