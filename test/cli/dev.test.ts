/**
 * `npm run dev` (scripts/dev.ts): Vite's dev server with hot module replacement serves the UI
 * from its sources and proxies the API to the master; the master and agent restart by themselves
 * when a server source changes.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, until } from '../helpers/processes.ts';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from '../helpers/test-master.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('npm run dev: hot-reloading UI, API proxied to the master, master restarted on a source change', async (t) => {
  t.timeout(90_000);
  const db = await createTestDatabase();
  const home = await mkdtemp(join(tmpdir(), 'jk-dev-'));
  const [masterPort, uiPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(ROOT, 'scripts/dev.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(masterPort), JONKKINS_DEV_PORT: String(uiPort), JONKKINS_HOME: home, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, JONKKINS_REDIS_PREFIX: testRedisPrefix(), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  t.teardown(async () => {
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await once(child, 'exit');
    }
    await db.drop();
    await rm(home, { recursive: true, force: true });
  });
  const ui = `http://127.0.0.1:${uiPort}`;
  const ready = () => output.match(/Jonkkins master ready/g)?.length ?? 0;
  await until('the master to be ready', () => ready() >= 1 && /agent local: \d executor/.test(output), 45_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });

  const page = await (await fetch(`${ui}/job/anything/`)).text();
  t.regex(page, /\/@vite\/client/, 'the page carries the hot-module-replacement client');
  const main = await fetch(`${ui}/src/main.ts`);
  t.regex(main.headers.get('content-type') ?? '', /javascript/, 'TypeScript sources are served compiled, no build step');
  const setup = await fetch(`${ui}/api/setup`);
  t.deepEqual(await setup.json(), { needsAdmin: true, selfSignup: false, setupCodeRequired: true }, 'API calls reach the master through the dev server');

  // A save without a change. Its old time is put back afterwards: a source newer than
  // dist/jonkkins.js makes every later `jonkkins` run from the sources (bin/jonkkins.js).
  const touched = join(ROOT, 'worker/src/agent.ts');
  const { atime, mtime } = await stat(touched);
  t.teardown(() => utimes(touched, atime, mtime));
  const now = new Date();
  await utimes(touched, now, now);
  await until('the master to restart', () => ready() >= 2, 45_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });
  t.regex(output, /Restarting/);
  await until('the API to answer again', async () => (await fetch(`${ui}/api/setup`).catch(() => null))?.status === 200, 20_000, 100);
});
