import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { call, login } from '../helpers/http.ts';
import { freePort, spawnJonkkins, stopProcess, until } from '../helpers/processes.ts';

test('jonkkins start serves /healthz on embedded defaults, runs the local agent, and keeps data across a restart', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'jk-home-'));
  await chmod(home, 0o711); // reachable by the postgres user, so root gets a private cluster
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const port = await freePort();
  const env = { JONKKINS_HOME: home, PORT: String(port) };
  const base = `http://127.0.0.1:${port}`;

  let master = spawnJonkkins(['start'], env);
  t.teardown(() => stopProcess(master));
  await until('/healthz to answer 200', async () => (await call(base, 'GET', '/healthz')).status === 200, 60_000);
  t.regex(master.output.stdout, /embedded PostgreSQL: private cluster/);
  t.regex(master.output.stdout, /embedded Redis: redis-server in/);

  const setupCode = readFileSync(join(home, 'secrets', 'initialAdminPassword'), 'utf8').trim(); // it listens on all addresses
  t.is((await call(base, 'POST', '/api/users', { json: { username: 'keeper', password: 'keeper-password', setupCode } })).status, 201);
  const token = await login(base, 'keeper', 'keeper-password');
  const localAgent = async (tok: string) => (await call(base, 'GET', '/api/agents', { token: tok })).body.agents;
  await until('the local agent to be online', async () => (await localAgent(token))[0]?.online === true);
  t.like((await localAgent(token))[0], { name: 'local', executors: 2, online: true });
  t.is(await stopProcess(master), 0);

  const restartedAt = Date.now();
  master = spawnJonkkins(['start', '--executors', '3'], env);
  await until('/healthz to answer 200 after the restart', async () => (await call(base, 'GET', '/healthz')).status === 200, 60_000);
  // Data survived: the user still logs in, the signing key survived (the old token still works).
  const again = await login(base, 'keeper', 'keeper-password');
  t.is((await call(base, 'GET', '/api/whoami', { token })).status, 200);
  // The restarted agent logs in afresh (new secret) and reports the new executor count.
  await until('the restarted local agent', async () => {
    const agents = await localAgent(again);
    return agents.length === 1 && agents[0].executors === 3 && Date.parse(agents[0].lastSeenAt) > restartedAt;
  });
  t.like((await localAgent(again))[0], { name: 'local', executors: 3, online: true });
  t.is(await stopProcess(master), 0);
  t.regex(master.output.stdout, /database schema is up to date/);
});
