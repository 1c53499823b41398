import test from 'ava';
import { ADMIN, bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
});
test.after.always(() => m?.close());

test.serial('the first user registers without a token and becomes admin', async (t) => {
  const res = await call(m.url, 'POST', '/api/users', { json: { ...ADMIN, fullName: 'Ada Admin' } });
  t.is(res.status, 201);
  t.is(res.headers.get('location'), '/api/users/admin');
  t.like(res.body, { username: 'admin', fullName: 'Ada Admin', role: 'admin', lastLoginAt: null });
  t.false('password' in res.body || 'passwordHash' in res.body || 'password_hash' in res.body);
  admin = await login(m.url, ADMIN.username, ADMIN.password);
});

test.serial('a second anonymous registration is refused while sign-up is closed', async (t) => {
  const res = await call(m.url, 'POST', '/api/users', { json: { username: 'mallory', password: 'password123' } });
  t.is(res.status, 401);
  t.regex(res.body.error.message, /Sign-up is closed/);
  const people = await call(m.url, 'GET', '/api/users', { token: admin });
  t.deepEqual(people.body.users.map((u: { username: string }) => u.username), ['admin']);
});

test.serial('an admin creates a user, who can log in but cannot create users', async (t) => {
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'alice', password: 'alice-password', email: 'alice@example.com' } });
  t.is(res.status, 201);
  t.like(res.body, { username: 'alice', role: 'user', email: 'alice@example.com' });
  const alice = await login(m.url, 'alice', 'alice-password');
  const denied = await call(m.url, 'POST', '/api/users', { token: alice, json: { username: 'bob', password: 'bob-password' } });
  t.is(denied.status, 403);
});

test.serial('usernames are unique case-insensitively', async (t) => {
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'ALICE', password: 'another-password' } });
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
  test.serial(`registration with ${what} → 400 naming the field`, async (t) => {
    const res = await call(m.url, 'POST', '/api/users', { token: admin, json: body });
    t.is(res.status, 400);
    t.is(res.body.error.code, 'bad_request');
    t.true(res.body.error.details.some((d: { field: string }) => d.field === field), JSON.stringify(res.body));
  });
}

test.serial('usernames of 1 and 64 characters of letters, digits, _ - . are accepted', async (t) => {
  for (const username of ['x', 'A_b-c.9', 'z'.repeat(64)]) {
    const res = await call(m.url, 'POST', '/api/users', { token: admin, json: { username, password: 'password123' } });
    t.is(res.status, 201, username);
  }
});

test.serial('with self sign-up on, anyone registers as a plain user', async (t) => {
  const asUser = await login(m.url, 'alice', 'alice-password');
  t.is((await call(m.url, 'PUT', '/api/settings/security', { token: asUser, json: { selfSignup: true } })).status, 403);
  const on = await call(m.url, 'PUT', '/api/settings/security', { token: admin, json: { selfSignup: true } });
  t.deepEqual(on.body, { selfSignup: true });
  const res = await call(m.url, 'POST', '/api/users', { json: { username: 'dave', password: 'dave-password' } });
  t.is(res.status, 201);
  t.is(res.body.role, 'user');
  const sneaky = await call(m.url, 'POST', '/api/users', { json: { username: 'eve', password: 'eve-password', role: 'admin' } });
  t.is(sneaky.status, 403);
  await call(m.url, 'PUT', '/api/settings/security', { token: admin, json: { selfSignup: false } });
  t.is((await call(m.url, 'POST', '/api/users', { json: { username: 'frank', password: 'frank-password' } })).status, 401);
});

test.serial('the People list shows name, full name, role and last login', async (t) => {
  const res = await call(m.url, 'GET', '/api/users', { token: admin });
  t.is(res.status, 200);
  const adminRow = res.body.users.find((u: { username: string }) => u.username === 'admin');
  t.like(adminRow, { fullName: 'Ada Admin', role: 'admin' });
  t.true(Date.parse(adminRow.lastLoginAt) > Date.now() - 60_000);
});

test.serial('an admin changes roles; the last admin cannot be demoted or deleted', async (t) => {
  const promoted = await call(m.url, 'PATCH', '/api/users/alice', { token: admin, json: { role: 'admin' } });
  t.is(promoted.body.role, 'admin');
  const alice = await login(m.url, 'alice', 'alice-password');
  t.is((await call(m.url, 'DELETE', '/api/users/admin', { token: alice })).status, 204);
  const last = await call(m.url, 'PATCH', '/api/users/alice', { token: alice, json: { role: 'user' } });
  t.is(last.status, 409);
  t.is((await call(m.url, 'DELETE', '/api/users/alice', { token: alice })).status, 409);
  // The deleted admin's still-unexpired token no longer works.
  t.is((await call(m.url, 'GET', '/api/whoami', { token: admin })).status, 401);
});

test.serial('a person changes their own password but not someone else’s', async (t) => {
  const dave = await login(m.url, 'dave', 'dave-password');
  t.is((await call(m.url, 'PATCH', '/api/users/dave', { token: dave, json: { password: 'new-dave-password' } })).status, 200);
  t.is((await call(m.url, 'POST', '/login', { json: { username: 'dave', password: 'dave-password' } })).status, 401);
  await login(m.url, 'dave', 'new-dave-password');
  t.is((await call(m.url, 'PATCH', '/api/users/x', { token: dave, json: { fullName: 'pwned' } })).status, 403);
});
