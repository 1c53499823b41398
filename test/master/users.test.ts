import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ADMIN, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

// One master for the tests that only add people; a test that needs the whole system to itself
// (no users yet, the sign-up switch, the count of admins) starts its own, so every test runs alone
// and all of them at once.
let m: TestMaster;
let admin: string;
const masters: TestMaster[] = [];
test.before(async () => {
  m = await ownMaster();
  admin = await firstAdmin(m);
});
test.after.always(() => Promise.all(masters.map((x) => x.close())));

async function ownMaster(): Promise<TestMaster> {
  const master = await startTestMaster();
  masters.push(master);
  return master;
}

/** Registers the first user (so an admin, named "Ada Admin") and logs in. */
async function firstAdmin(master: TestMaster): Promise<string> {
  const res = await call(master.url, 'POST', '/api/users', { json: { ...ADMIN, fullName: 'Ada Admin' } });
  if (res.status !== 201) throw new Error(`first user: ${res.status} ${res.text}`);
  return login(master.url, ADMIN.username, ADMIN.password);
}

/** A plain user of this test's own, with a name no other test uses. */
async function newUser(master: TestMaster, token: string): Promise<{ username: string; password: string; token: string }> {
  const user = { username: `u-${randomUUID().slice(0, 8)}`, password: 'a-user-password' };
  const res = await call(master.url, 'POST', '/api/users', { token, json: user });
  if (res.status !== 201) throw new Error(`create ${user.username}: ${res.status} ${res.text}`);
  return { ...user, token: await login(master.url, user.username, user.password) };
}

test('the first user registers without a token and becomes admin', async (t) => {
  const fresh = await ownMaster();
  const res = await call(fresh.url, 'POST', '/api/users', { json: { ...ADMIN, fullName: 'Ada Admin' } });
  t.is(res.status, 201);
  t.is(res.headers.get('location'), '/api/users/admin');
  t.like(res.body, { username: 'admin', fullName: 'Ada Admin', role: 'admin', lastLoginAt: null });
  t.false('password' in res.body || 'passwordHash' in res.body || 'password_hash' in res.body);
  await login(fresh.url, ADMIN.username, ADMIN.password);
});

test('a second anonymous registration is refused while sign-up is closed', async (t) => {
  const fresh = await ownMaster();
  const token = await firstAdmin(fresh);
  const res = await call(fresh.url, 'POST', '/api/users', { json: { username: 'mallory', password: 'password123' } });
  t.is(res.status, 401);
  t.regex(res.body.error.message, /Sign-up is closed/);
  const people = await call(fresh.url, 'GET', '/api/users', { token });
  t.deepEqual(people.body.users.map((u: { username: string }) => u.username), ['admin']);
});

test('an admin creates a user, who can log in but cannot create users', async (t) => {
  const username = `alice-${randomUUID().slice(0, 8)}`;
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username, password: 'alice-password', email: 'alice@example.com' } });
  t.is(res.status, 201);
  t.like(res.body, { username, role: 'user', email: 'alice@example.com' });
  const alice = await login(m.url, username, 'alice-password');
  const denied = await call(m.url, 'POST', '/api/users', { token: alice, json: { username: `bob-${randomUUID().slice(0, 8)}`, password: 'bob-password' } });
  t.is(denied.status, 403);
});

test('usernames are unique case-insensitively', async (t) => {
  const { username } = await newUser(m, admin);
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username: username.toUpperCase(), password: 'another-password' } });
  t.is(res.status, 409);
  t.is(res.body.error.code, 'conflict');
});

const badRegistrations: [string, object, string][] = [
  ['empty username', { username: '', password: 'password123' }, 'username'],
  ['65-character username', { username: 'a'.repeat(65), password: 'password123' }, 'username'],
  ['username with a space', { username: 'a b', password: 'password123' }, 'username'],
  ['username with a slash', { username: '../x', password: 'password123' }, 'username'],
  ['7-character password', { username: 'carol', password: 'short77' }, 'password'],
  ['bad e-mail', { username: 'carol', password: 'password123', email: 'not-an-email' }, 'email'],
  ['unknown field', { username: 'carol', password: 'password123', isAdmin: true }, ''],
];
for (const [what, body, field] of badRegistrations) {
  test(`registration with ${what} → 400 naming the field`, async (t) => {
    const res = await call(m.url, 'POST', '/api/users', { token: admin, json: body });
    t.is(res.status, 400);
    t.is(res.body.error.code, 'bad_request');
    t.true(res.body.error.details.some((d: { field: string }) => d.field === field), JSON.stringify(res.body));
  });
}

test('usernames of 1 and 64 characters of letters, digits, _ - . are accepted', async (t) => {
  for (const username of ['x', 'A_b-c.9', 'z'.repeat(64)]) {
    const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username, password: 'password123' } });
    t.is(res.status, 201, username);
  }
});

test('with self sign-up on, anyone registers as a plain user', async (t) => {
  const fresh = await ownMaster();
  const token = await firstAdmin(fresh);
  const asUser = await newUser(fresh, token);
  t.is((await call(fresh.url, 'PUT', '/api/settings/security', { token: asUser.token, json: { selfSignup: true } })).status, 403);
  const on = await call(fresh.url, 'PUT', '/api/settings/security', { token, json: { selfSignup: true } });
  t.deepEqual(on.body, { selfSignup: true });
  const res = await call(fresh.url, 'POST', '/api/users', { json: { username: 'dave', password: 'dave-password' } });
  t.is(res.status, 201);
  t.is(res.body.role, 'user');
  const sneaky = await call(fresh.url, 'POST', '/api/users', { json: { username: 'eve', password: 'eve-password', role: 'admin' } });
  t.is(sneaky.status, 403);
  await call(fresh.url, 'PUT', '/api/settings/security', { token, json: { selfSignup: false } });
  t.is((await call(fresh.url, 'POST', '/api/users', { json: { username: 'frank', password: 'frank-password' } })).status, 401);
});

test('the People list shows name, full name, role and last login', async (t) => {
  const res = await call(m.url, 'GET', '/api/users', { token: admin });
  t.is(res.status, 200);
  const adminRow = res.body.users.find((u: { username: string }) => u.username === 'admin');
  t.like(adminRow, { fullName: 'Ada Admin', role: 'admin' });
  t.true(Date.parse(adminRow.lastLoginAt) > Date.now() - 60_000);
});

test('an admin changes roles; the last admin cannot be demoted or deleted', async (t) => {
  const fresh = await ownMaster();
  const token = await firstAdmin(fresh);
  const alice = await newUser(fresh, token);
  const promoted = await call(fresh.url, 'PATCH', `/api/users/${alice.username}`, { token, json: { role: 'admin' } });
  t.is(promoted.body.role, 'admin');
  t.is((await call(fresh.url, 'DELETE', '/api/users/admin', { token: alice.token })).status, 204);
  const last = await call(fresh.url, 'PATCH', `/api/users/${alice.username}`, { token: alice.token, json: { role: 'user' } });
  t.is(last.status, 409);
  t.is((await call(fresh.url, 'DELETE', `/api/users/${alice.username}`, { token: alice.token })).status, 409);
  // The deleted admin's still-unexpired token no longer works.
  t.is((await call(fresh.url, 'GET', '/api/whoami', { token })).status, 401);
});

test('a person changes their own password, with the current one, but not someone else’s', async (t) => {
  const dave = await newUser(m, admin);
  const other = await newUser(m, admin);
  const change = (json: object) => call(m.url, 'PATCH', `/api/users/${dave.username}`, { token: dave.token, json });
  const missing = await change({ password: 'new-dave-password' });
  t.is(missing.status, 400);
  t.like(missing.body.error, { message: 'Changing your own password needs your current password', details: [{ field: 'currentPassword', message: 'required' }] });
  const wrong = await change({ password: 'new-dave-password', currentPassword: 'not-it' });
  t.is(wrong.status, 400);
  t.like(wrong.body.error, { message: 'That is not your current password', details: [{ field: 'currentPassword' }] });
  await login(m.url, dave.username, dave.password); // neither changed it
  t.is((await change({ password: 'new-dave-password', currentPassword: dave.password })).status, 200);
  t.is((await call(m.url, 'POST', '/login', { json: { username: dave.username, password: dave.password } })).status, 401);
  await login(m.url, dave.username, 'new-dave-password');
  t.is((await call(m.url, 'PATCH', `/api/users/${other.username}`, { token: dave.token, json: { fullName: 'pwned' } })).status, 403);
  // An admin sets someone else's password without knowing it.
  t.is((await call(m.url, 'PATCH', `/api/users/${other.username}`, { token: admin, json: { password: 'set-by-admin' } })).status, 200);
  await login(m.url, other.username, 'set-by-admin');
});

test('wrong current passwords count as failed logins: the account is throttled', async (t) => {
  const eve = await newUser(m, admin);
  for (let i = 0; i < 5; i++) {
    t.is((await call(m.url, 'PATCH', `/api/users/${eve.username}`, { token: eve.token, json: { password: 'eve-new-password', currentPassword: `guess-${i}` } })).status, 400);
  }
  t.is((await call(m.url, 'PATCH', `/api/users/${eve.username}`, { token: eve.token, json: { password: 'eve-new-password', currentPassword: eve.password } })).status, 429);
  t.is((await call(m.url, 'POST', '/login', { json: { username: eve.username, password: eve.password } })).status, 429);
});
