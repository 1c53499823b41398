import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { runJonkkins, spawnJonkkins, stopProcess, until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

test('jonkkins agent logs in with its secret file and shows online', async (t) => {
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'proc-agent', executors: 2 } });
  const secretFile = join(await mkdtemp(join(tmpdir(), 'jk-agent-')), 'secret');
  await writeFile(secretFile, `${body.secret}\n`, { mode: 0o600 });
  const agent = spawnJonkkins(['agent', '--url', m.url, '--name', 'proc-agent', '--secret-file', secretFile]);
  t.teardown(() => stopProcess(agent));
  await until('the agent to be online', async () => (await call(m.url, 'GET', '/api/agents/proc-agent', { token: admin })).body.online === true);
  // Its log line may reach our pipe a moment after the heartbeat reached the master.
  await until('the agent to log its login', () => /agent proc-agent: logged in/.test(agent.output.stdout));
  t.true((await call(m.url, 'GET', '/api/agents/proc-agent', { token: admin })).body.online);
  t.is(await stopProcess(agent), 0);
});

test('jonkkins agent with a wrong secret exits 1 with a clear message', async (t) => {
  await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'wrong-secret', executors: 1 } });
  const r = await runJonkkins(['agent', '--url', m.url, '--name', 'wrong-secret'], { JONKKINS_AGENT_SECRET: 'not-the-secret' });
  t.is(r.code, 1);
  t.regex(r.stderr, /agent wrong-secret: login: Invalid agent name or secret/);
});

test('jonkkins agent keeps retrying while the master is unreachable instead of exiting', async (t) => {
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'patient', executors: 1 } });
  // Nothing listens on port 1: the agent keeps retrying instead of exiting.
  const agent = spawnJonkkins(['agent', '--url', 'http://127.0.0.1:1', '--name', 'patient'], { JONKKINS_AGENT_SECRET: body.secret });
  t.teardown(() => stopProcess(agent));
  await until('a retry message', () => /retrying in \d+ s/.test(agent.output.stdout));
  t.regex(agent.output.stdout, /fetch failed; retrying in \d+ s/);
  t.is(agent.exitCode, null);
  t.is(await stopProcess(agent), 0);
});
