/**
 * Login throttling as OWASP describes it: failures count per name *and address*, per address, and
 * per name from everywhere together, and never keep a correct password out of an address that did
 * not fail. The master trusts X-Forwarded-For here, so each request says which address it is from.
 */
import test from 'ava';
import { agentLogin, ADMIN, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster({ trustProxy: true, throttle: { perName: 3, perAddress: 8, perNameAnywhere: 6, signUpsPerAddress: 3, windowSeconds: 600 } });
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

let users = 0;
async function newUser(): Promise<{ username: string; password: string }> {
  const user = { username: `person-${++users}`, password: `password-of-${users}` };
  const res = await call(m.url, 'POST', '/api/users', { token: admin, json: user });
  if (res.status !== 201) throw new Error(res.text);
  return user;
}
const from = (address: string) => ({ 'x-forwarded-for': address });
const loginFrom = (address: string, username: string, password: string) => call(m.url, 'POST', '/login', { json: { username, password }, headers: from(address) });

test('wrong passwords from one address lock that address out of the name, not the person elsewhere', async (t) => {
  const victim = await newUser();
  for (let i = 0; i < 3; i++) t.is((await loginFrom('203.0.113.1', victim.username, `wrong-${i}`)).status, 401);
  const blocked = await loginFrom('203.0.113.1', victim.username, victim.password);
  t.is(blocked.status, 429, 'the address that failed waits, even with the right password');
  const wait = Number(blocked.headers.get('retry-after'));
  t.true(wait > 500 && wait <= 600, `Retry-After ${wait}`);
  t.is((await loginFrom('198.51.100.7', victim.username, victim.password)).status, 200, 'the right password from another address gets in');
  t.is((await loginFrom('198.51.100.8', victim.username, 'wrong-again')).status, 401, 'another address may still try (and fail)');
});

test('a name guessed at from many addresses stops the guessers, never an address that did not fail', async (t) => {
  const victim = await newUser();
  for (let i = 0; i < 6; i++) t.is((await loginFrom(`192.0.2.${i + 1}`, victim.username, `guess-${i}`)).status, 401);
  for (let i = 0; i < 6; i++) t.is((await loginFrom(`192.0.2.${i + 1}`, victim.username, victim.password)).status, 429, `guesser ${i + 1}`);
  t.is((await loginFrom('192.0.2.200', victim.username, victim.password)).status, 200, 'an address that never failed for the name');
});

test('one address that fails for many names is stopped for every name', async (t) => {
  const people = await Promise.all(Array.from({ length: 4 }, () => newUser()));
  for (const p of people) for (let i = 0; i < 2; i++) t.is((await loginFrom('203.0.113.50', p.username, `nope-${i}`)).status, 401);
  const other = await newUser();
  t.is((await loginFrom('203.0.113.50', other.username, other.password)).status, 429);
  t.is((await loginFrom('203.0.113.51', other.username, other.password)).status, 200);
});

test('/login-slave: wrong secrets from one address do not lock the agent out elsewhere', async (t) => {
  const agent = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'throttled-agent', executors: 1 } });
  const slave = (address: string, secret: string) => call(m.url, 'POST', '/login-slave', { json: agentLogin('throttled-agent', secret), headers: from(address) });
  for (let i = 0; i < 3; i++) t.is((await slave('203.0.113.9', `wrong-secret-${i}`)).status, 401);
  const blocked = await slave('203.0.113.9', agent.body.secret);
  t.is(blocked.status, 429);
  t.truthy(blocked.headers.get('retry-after'));
  t.is((await slave('10.1.2.3', agent.body.secret)).status, 200);
});

test('anonymous sign-ups are counted per address: 429 with Retry-After past the allowance, refused or not', async (t) => {
  for (let i = 0; i < 3; i++) {
    const res = await call(m.url, 'POST', '/api/users', { json: { username: `signup-${i}`, password: 'sign-up-password' }, headers: from('203.0.113.77') });
    t.is(res.status, 401, 'sign-up is closed');
  }
  const res = await call(m.url, 'POST', '/api/users', { json: { username: 'signup-x', password: 'sign-up-password' }, headers: from('203.0.113.77') });
  t.is(res.status, 429);
  t.truthy(res.headers.get('retry-after'));
  const elsewhere = await call(m.url, 'POST', '/api/users', { json: { username: 'signup-y', password: 'sign-up-password' }, headers: from('203.0.113.78') });
  t.is(elsewhere.status, 401);
  t.is((await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'by-admin', password: 'by-admin-password' }, headers: from('203.0.113.77') })).status, 201, 'an admin is not counted');
});

test('the throttle takes the address the nearest proxy saw: a client cannot rotate addresses in X-Forwarded-For', async (t) => {
  const people = await Promise.all(Array.from({ length: 9 }, () => newUser()));
  // The client writes its own list; the proxy (here: none, the test is the proxy) appends the real one.
  for (const [i, p] of people.slice(0, 8).entries()) t.is((await loginFrom(`10.9.9.${i}, 203.0.113.99`, p.username, 'wrong')).status, 401);
  const last = people[8]!;
  t.is((await loginFrom('10.9.9.200, 203.0.113.99', last.username, last.password)).status, 429, 'the real address used up its failures');
  t.is((await loginFrom('203.0.113.98', ADMIN.username, ADMIN.password)).status, 200);
});
