/**
 * A fresh master that listens on all addresses does not hand itself to its first visitor: as
 * Jenkins with its initialAdminPassword, it prints a one-time setup code (and keeps it in
 * $JONKKINS_HOME/secrets/initialAdminPassword) that creating the first admin requires.
 * Bound to loopback only, it needs none.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { call } from '../helpers/http.ts';
import { freePort, spawnJonkkins, stopProcess, until } from '../helpers/processes.ts';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from '../helpers/test-master.ts';

/** `jonkkins master` on its own database and a fresh home; HOST as given (unset: the default, all addresses). */
async function master(t: { teardown(fn: () => unknown): void }, host?: string) {
  const db = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), 'jk-setup-'));
  t.teardown(async () => {
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { JONKKINS_HOME: home, PORT: String(port), DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JONKKINS_REDIS_PREFIX: testRedisPrefix(), ...(host ? { HOST: host } : {}) };
  const run = () => {
    const child = spawnJonkkins(['master'], env);
    t.teardown(() => stopProcess(child));
    return child;
  };
  let child = run();
  const ready = async () => until('the master to be ready', () => /Jonkkins master ready/.test(child.output.stdout), 60_000);
  await ready();
  return {
    base,
    home,
    child: () => child,
    async restart() {
      await stopProcess(child);
      child = run();
      await ready();
    },
  };
}

const register = (base: string, setupCode?: string) =>
  call(base, 'POST', '/api/users', { json: { username: 'boss', password: 'boss-password', ...(setupCode === undefined ? {} : { setupCode }) } });

test('on all addresses, creating the first admin needs the setup code the master printed and stored; then the code is spent', async (t) => {
  const m = await master(t);
  const file = join(m.home, 'secrets', 'initialAdminPassword');
  const code = readFileSync(file, 'utf8').trim();
  t.regex(code, /^[0-9a-f]{32}$/);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.true(m.child().output.stdout.includes(`setup code ${code} (also in ${file})`));
  t.deepEqual((await call(m.base, 'GET', '/api/setup')).body, { needsAdmin: true, selfSignup: false, setupCodeRequired: true });

  for (const wrong of [undefined, '', 'f'.repeat(32), `${code}0`]) {
    const res = await register(m.base, wrong);
    t.is(res.status, 401, `setup code ${JSON.stringify(wrong)}`);
    t.is(res.body.error.message, `Creating the first admin needs the setup code: it is in the master's log and in secrets/initialAdminPassword under its JONKKINS_HOME`);
  }
  // A restart before anyone used it keeps the same code (the operator may have read it already).
  await m.restart();
  t.is(readFileSync(file, 'utf8').trim(), code);
  t.is((await register(m.base, code)).status, 201);
  t.false(existsSync(file));
  t.deepEqual((await call(m.base, 'GET', '/api/setup')).body, { needsAdmin: false, selfSignup: false, setupCodeRequired: false });

  await m.restart();
  t.notRegex(m.child().output.stdout, /setup code/);
  t.false(existsSync(file));
});

test('bound to loopback only, the first visitor creates the admin without a code', async (t) => {
  const m = await master(t, '127.0.0.1');
  t.deepEqual((await call(m.base, 'GET', '/api/setup')).body, { needsAdmin: true, selfSignup: false, setupCodeRequired: false });
  t.is((await register(m.base)).status, 201);
  t.false(existsSync(join(m.home, 'secrets')));
  t.notRegex(m.child().output.stdout, /setup code/);
});
