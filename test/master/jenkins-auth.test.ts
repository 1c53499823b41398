/**
 * API tokens and HTTP Basic, as Jenkins clients use them: a token made at Jenkins' own
 * generateNewToken path (shown once, stored as its SHA-256 only, its use recorded) works as the
 * password of Basic on Jenkins' paths and on /api/, needs no crumb, and dies when revoked or when
 * its account is deleted. Basic with the password works too, through the login throttle, and a
 * POST with it needs the crumb the crumb issuer hands out. Every answer carries X-Jenkins.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { ADMIN, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster({ trustProxy: true, throttle: { perName: 3, perAddress: 50, windowSeconds: 600 } });
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const basic = (user: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });
const TOKEN_PATH = 'descriptorByName/jenkins.security.ApiTokenProperty';

let people = 0;
async function person(): Promise<{ username: string; password: string }> {
  const user = { username: `tok-${++people}`, password: `password-${people}-long` };
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: user });
  if (res.status !== 201) throw new Error(res.text);
  return user;
}

/** Makes a token the Jenkins way: Basic with the password, the crumb from the crumb issuer. */
async function jenkinsToken(user: { username: string; password: string }, name: string) {
  const crumb = await call(m.url, 'GET', '/crumbIssuer/api/json', { headers: basic(user.username, user.password) });
  const res = await call(m.url, 'POST', `/user/${user.username}/${TOKEN_PATH}/generateNewToken?newTokenName=${encodeURIComponent(name)}`, {
    headers: { ...basic(user.username, user.password), [crumb.body.crumbRequestField]: crumb.body.crumb },
  });
  return res;
}

test('generateNewToken answers as Jenkins; the token is Basic auth on Jenkins paths and /api/, stored only as its sha256, its use recorded', async (t) => {
  const user = await person();
  const res = await jenkinsToken(user, 'ci script');
  t.is(res.status, 200, res.text);
  t.is(res.body.status, 'ok');
  t.deepEqual(Object.keys(res.body.data).sort(), ['tokenName', 'tokenUuid', 'tokenValue']);
  const { tokenValue, tokenUuid, tokenName } = res.body.data;
  t.is(tokenName, 'ci script');
  t.regex(tokenValue, /^11[0-9a-f]{32}$/);

  const stored = await m.pool.one(sql.type(z.object({ token_hash: z.instanceof(Buffer), name: z.string() }))`SELECT token_hash, name FROM api_tokens WHERE uuid = ${tokenUuid}`);
  t.deepEqual(stored.token_hash, createHash('sha256').update(tokenValue).digest(), 'only the sha256 is kept');
  const dump = JSON.stringify(await m.pool.any(sql.unsafe`SELECT * FROM api_tokens`), (_k, v) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('hex') : v));
  t.false(dump.includes(tokenValue), 'the value is nowhere in the table');

  const me = await call(m.url, 'GET', '/me/api/json', { headers: basic(user.username, tokenValue) });
  t.is(me.status, 200, me.text);
  t.is(me.body._class, 'hudson.model.User');
  t.is(me.body.id, user.username);
  t.truthy(me.headers.get('x-jenkins'), 'X-Jenkins on every answer');
  const native = await call(m.url, 'GET', '/api/whoami', { headers: basic(user.username, tokenValue) });
  t.is(native.status, 200);
  t.is(native.body.name, user.username);

  const listed = await call(m.url, 'GET', `/api/users/${user.username}/tokens`, { headers: basic(user.username, tokenValue) });
  t.is(listed.status, 200, listed.text);
  t.is(listed.body.tokens.length, 1);
  t.is(listed.body.tokens[0].uuid, tokenUuid);
  t.is(listed.body.tokens[0].useCount, 3, 'three requests used it (the list is the third)');
  t.truthy(listed.body.tokens[0].lastUsedAt);
  t.false(JSON.stringify(listed.body).includes(tokenValue), 'a list never shows the value');
});

test('a token POSTs without a crumb; a password POST without the crumb is refused, with it accepted', async (t) => {
  const user = await person();
  const { tokenValue } = (await jenkinsToken(user, 'no crumb needed')).body.data;
  const viaToken = await call(m.url, 'POST', '/createView', { headers: { ...basic(user.username, tokenValue), 'content-type': 'application/x-www-form-urlencoded' }, raw: 'name=tokenview&mode=hudson.model.ListView', redirect: 'manual' });
  t.is(viaToken.status, 302, viaToken.text);

  const noCrumb = await call(m.url, 'POST', '/createView', { headers: { ...basic(user.username, user.password), 'content-type': 'application/x-www-form-urlencoded' }, raw: 'name=pwview&mode=hudson.model.ListView', redirect: 'manual' });
  t.is(noCrumb.status, 403);
  t.regex(noCrumb.body.error.message, /No valid crumb was included in the request/);
  const crumb = (await call(m.url, 'GET', '/crumbIssuer/api/json', { headers: basic(user.username, user.password) })).body;
  t.is(crumb._class, 'hudson.security.csrf.DefaultCrumbIssuer');
  t.is(crumb.crumbRequestField, 'Jenkins-Crumb');
  const other = await person();
  const othersCrumb = (await call(m.url, 'GET', '/crumbIssuer/api/json', { headers: basic(other.username, other.password) })).body.crumb;
  t.not(othersCrumb, crumb.crumb, 'a crumb is bound to its person');
  const wrongCrumb = await call(m.url, 'POST', '/createView', { headers: { ...basic(user.username, user.password), 'Jenkins-Crumb': othersCrumb, 'content-type': 'application/x-www-form-urlencoded' }, raw: 'name=pwview&mode=hudson.model.ListView', redirect: 'manual' });
  t.is(wrongCrumb.status, 403);
  const withCrumb = await call(m.url, 'POST', '/createView', { headers: { ...basic(user.username, user.password), 'Jenkins-Crumb': crumb.crumb, 'content-type': 'application/x-www-form-urlencoded' }, raw: 'name=pwview&mode=hudson.model.ListView', redirect: 'manual' });
  t.is(withCrumb.status, 302, withCrumb.text);
});

test('revoking a token ends it at once; deleting the account ends its tokens', async (t) => {
  const user = await person();
  const a = (await jenkinsToken(user, 'a')).body.data;
  const b = (await jenkinsToken(user, 'b')).body.data;
  const revoke = await call(m.url, 'POST', `/user/${user.username}/${TOKEN_PATH}/revoke?tokenUuid=${a.tokenUuid}`, { headers: basic(user.username, b.tokenValue) });
  t.is(revoke.status, 200, revoke.text);
  t.is((await call(m.url, 'GET', '/api/json', { headers: basic(user.username, a.tokenValue) })).status, 401, 'the revoked token is refused');
  t.is((await call(m.url, 'GET', '/api/json', { headers: basic(user.username, b.tokenValue) })).status, 200, 'the other still works');

  t.is((await call(m.url, 'DELETE', `/api/users/${user.username}`, { token: admin })).status, 204);
  t.is((await call(m.url, 'GET', '/api/json', { headers: basic(user.username, b.tokenValue) })).status, 401, 'gone with the account');
  const left = await m.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM api_tokens WHERE uuid = ${b.tokenUuid}`);
  t.is(left, 0);
  // A new account with the same name inherits nothing.
  t.is((await call(m.url, 'POST', '/api/users', { token: admin, json: user })).status, 201);
  t.is((await call(m.url, 'GET', '/api/json', { headers: basic(user.username, b.tokenValue) })).status, 401);
});

test("tokens are the person's own: nobody else may make one for them; an admin may list and revoke them", async (t) => {
  const owner = await person();
  const intruder = await person();
  const made = await call(m.url, 'POST', `/api/users/${owner.username}/tokens`, { token: await loginToken(owner), json: {} });
  t.is(made.status, 400, 'a name is required');
  const ok = await call(m.url, 'POST', `/api/users/${owner.username}/tokens`, { token: await loginToken(owner), json: { name: 'laptop' } });
  t.is(ok.status, 201, ok.text);
  t.regex(ok.body.tokenValue, /^11[0-9a-f]{32}$/);
  const theirs = await call(m.url, 'POST', `/api/users/${owner.username}/tokens`, { token: await loginToken(intruder), json: { name: 'mine now' } });
  t.is(theirs.status, 403);
  t.is((await call(m.url, 'GET', `/api/users/${owner.username}/tokens`, { token: await loginToken(intruder) })).status, 403);
  t.is((await call(m.url, 'POST', `/api/users/${owner.username}/tokens`, { token: admin, json: { name: 'admin-made' } })).status, 403, 'not even an admin makes a credential for someone else');
  const listed = await call(m.url, 'GET', `/api/users/${owner.username}/tokens`, { token: admin });
  t.deepEqual(listed.body.tokens.map((x: any) => x.name), ['laptop']);
  t.is((await call(m.url, 'DELETE', `/api/users/${owner.username}/tokens/${ok.body.tokenUuid}`, { token: admin })).status, 204);
  t.is((await call(m.url, 'GET', '/api/json', { headers: basic(owner.username, ok.body.tokenValue) })).status, 401);
});

test('Basic with a password goes through the login throttle; a wrong token is a 401 naming the user', async (t) => {
  const user = await person();
  const from = { 'x-forwarded-for': '203.0.113.77' };
  const wrong = await call(m.url, 'GET', '/api/json', { headers: { ...basic(user.username, '11' + '0'.repeat(32)), ...from } });
  t.is(wrong.status, 401);
  t.is(wrong.body.error.message, `Invalid password/token for user: ${user.username}`);
  for (let i = 0; i < 2; i++) t.is((await call(m.url, 'GET', '/api/json', { headers: { ...basic(user.username, `wrong-${i}`), ...from } })).status, 401);
  const blocked = await call(m.url, 'GET', '/api/json', { headers: { ...basic(user.username, user.password), ...from } });
  t.is(blocked.status, 429, 'the address that failed three times waits, even with the right password');
  t.truthy(blocked.headers.get('retry-after'));
  const token = (await call(m.url, 'POST', `/api/users/${user.username}/tokens`, { token: await loginToken(user, '198.51.100.1'), json: { name: 't' } })).body.tokenValue;
  t.is((await call(m.url, 'GET', '/api/json', { headers: { ...basic(user.username, token), ...from } })).status, 200, 'a token is not throttled: it costs no password hash');
  t.is((await call(m.url, 'GET', '/api/json', { headers: { ...basic(ADMIN.username, ADMIN.password), 'x-forwarded-for': '198.51.100.2' } })).status, 200);
});

test('Jenkins paths need credentials; malformed Basic is a 401', async (t) => {
  const anonymous = await call(m.url, 'GET', '/api/json');
  t.is(anonymous.status, 401);
  t.truthy(anonymous.headers.get('x-jenkins'));
  t.is((await call(m.url, 'GET', '/api/json', { headers: { authorization: 'Basic !!!' } })).status, 401);
  t.is((await call(m.url, 'GET', '/api/json', { headers: { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` } })).status, 401);
  t.is((await call(m.url, 'GET', '/me/api/json', { token: admin })).body.id, ADMIN.username, 'a bearer token works on Jenkins paths too');
  const form = await call(m.url, 'POST', '/login', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: `username=${ADMIN.username}&password=${encodeURIComponent(ADMIN.password)}` });
  t.is(form.status, 400, "logging in stays JSON: Jenkins' form parsing is for Jenkins' paths");
});

async function loginToken(user: { username: string; password: string }, address = '192.0.2.200'): Promise<string> {
  const res = await call(m.url, 'POST', '/login', { json: user, headers: { 'x-forwarded-for': address } });
  if (res.status !== 200) throw new Error(res.text);
  return res.text;
}
