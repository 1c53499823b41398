/**
 * `jonkkins start` with its embedded Redis (and a test database, so no embedded PostgreSQL), and
 * an agent process started with the command the UI shows: the agent keeps working across master
 * restarts, also when the Redis port had to change, and one SIGINT stops it within 5 s.
 */
import { once } from 'node:events';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { freePort, runShownCommand, spawnJonkkins, stopProcess, until } from '../helpers/processes.ts';
import { createTestDatabase } from '../helpers/test-master.ts';


test('an agent started with the shown command keeps working across master restarts (same Redis port, or a new one), and one SIGINT stops it within 5 s', async (t) => {
  t.timeout(240_000);
  const home = await mkdtemp(join(tmpdir(), 'jk-home-'));
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agentwd-'));
  const db = await createTestDatabase();
  t.teardown(async () => {
    await db.drop();
    await rm(home, { recursive: true, force: true });
    await rm(workdir, { recursive: true, force: true });
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { HOST: '127.0.0.1', JONKKINS_HOME: home, PORT: String(port), DATABASE_URL: db.url, JONKKINS_URL: `${base}/` };
  const startMaster = async () => {
    const m = spawnJonkkins(['start', '--no-agent'], env);
    t.teardown(() => stopProcess(m));
    await until('/healthz to answer 200', async () => (await call(base, 'GET', '/healthz')).status === 200, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nmaster:\n${m.output.stdout}${m.output.stderr}`);
    });
    return m;
  };

  let master = await startMaster();
  const admin = await bootstrapAdmin(base);
  const registered = await call(base, 'POST', '/api/agents', { token: admin, json: { name: 'far', executors: 1, labels: [] } });
  t.is(registered.status, 201);
  const agent = runShownCommand(registered.body.command, ['--workdir', workdir]);
  t.teardown(() => agent.stop());
  t.is((await call(base, 'POST', '/api/jobs', { token: admin, json: { name: 'hello', steps: [{ type: 'shell', script: 'echo "hello $BUILD_NUMBER"' }] } })).status, 201);
  const build = async (what: string): Promise<string | null> => {
    const queued = await call(base, 'POST', '/api/jobs/hello/builds', { token: admin, json: {} });
    let result = null as string | null;
    await until(`a build ${what}`, async () => {
      const item = (await call(base, 'GET', `/api/queue/${queued.body.queueId}`, { token: admin })).body;
      if (!item.build) return false;
      result = (await call(base, 'GET', `/api/jobs/hello/builds/${item.build.number}`, { token: admin })).body.result;
      return result !== null;
    }, 45_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\nagent:\n${agent.output()}`);
    });
    return result;
  };
  t.is(await build('before any restart'), 'SUCCESS');
  const redisPort = Number(await readFile(join(home, 'redis', 'port'), 'utf8'));

  // A restart keeps the port: the agent's connection simply comes back.
  t.is(await stopProcess(master), 0);
  master = await startMaster();
  t.is(Number(await readFile(join(home, 'redis', 'port'), 'utf8')), redisPort);
  t.is(await build('after a restart'), 'SUCCESS');

  // The port is taken while the master is down: Redis moves, and the agent asks the master where to.
  t.is(await stopProcess(master), 0);
  const squatter = createServer().listen(redisPort, '127.0.0.1');
  await once(squatter, 'listening');
  t.teardown(() => void squatter.close());
  master = await startMaster();
  t.not(Number(await readFile(join(home, 'redis', 'port'), 'utf8')), redisPort);
  t.is(await build('after Redis moved'), 'SUCCESS');

  // Ctrl-C once (SIGINT to the foreground process group, as a terminal sends it), with the Redis it
  // knew gone as well: the agent ends by itself within 5 s.
  t.is(await stopProcess(master), 0);
  const stoppedAt = Date.now();
  const group = -agent.child.pid!;
  process.kill(group, 'SIGINT');
  // The shell dies of the SIGINT at once; what counts is that the agent under it is gone too.
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  await until('the agent to exit', () => !alive(), 15_000, 20);
  const took = Date.now() - stoppedAt;
  t.log(`SIGINT → agent exited in ${took} ms`);
  t.regex(agent.output(), /SIGINT, shutting down/);
  t.true(took < 5000, `took ${took} ms`);
});
