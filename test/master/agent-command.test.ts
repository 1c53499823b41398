/** Registering an agent (or regenerating its secret) answers with the command line that starts it — and it does. */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { agentCommand, shellQuote } from '../../master/src/agents/agent-command.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

test('shell quoting survives quotes, spaces, $ and backslashes', (t) => {
  for (const value of ["it's", "''", 'a b', '$HOME `id` $(id)', 'back\\slash', '"', '', 'x\ny']) {
    t.is(execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' }), value);
  }
  t.is(agentCommand("http://h/it's/", 'b-1', 's'), `printf '%s\\n' 's' | npx jonkkins agent --url 'http://h/it'\\''s/' --name 'b-1' --secret-stdin`);
});

test('registering an agent answers with its command line, against the public URL', async (t) => {
  const res = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'build-1', executors: 1 } });
  t.is(res.status, 201);
  t.is(res.body.command, `printf '%s\\n' '${res.body.secret}' | npx jonkkins agent --url 'http://jonkkins.test/' --name 'build-1' --secret-stdin`);
  const regen = await call(m.url, 'POST', '/api/agents/build-1/secret', { token: admin });
  t.is(regen.body.command, `printf '%s\\n' '${regen.body.secret}' | npx jonkkins agent --url 'http://jonkkins.test/' --name 'build-1' --secret-stdin`);
  t.false('command' in (await call(m.url, 'GET', '/api/agents/build-1', { token: admin })).body);
});

test('the command, run by a shell in the project, starts an agent that comes online', async (t) => {
  // Its own master: the public URL it sets is system-wide, and the test above needs the default.
  const own = await startTestMaster();
  t.teardown(() => own.close());
  const token = await bootstrapAdmin(own.url);
  await call(own.url, 'PUT', '/api/settings/system', { token, json: { publicUrl: own.url } });
  const res = await call(own.url, 'POST', '/api/agents', { token, json: { name: 'runs-for-real', executors: 1 } });
  t.true(res.body.command.endsWith(`| npx jonkkins agent --url '${own.url}/' --name 'runs-for-real' --secret-stdin`));
  const home = await mkdtemp(join(tmpdir(), 'jk-agent-home-'));
  // Its own process group, so that npx and the agent under it stop together.
  const child = spawn('/bin/sh', ['-c', res.body.command], {
    cwd: REPO,
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '', HOME: home, LOG_LEVEL: 'warn', JONKKINS_AGENT_WORKDIR: join(home, 'work') },
  });
  try {
    await until('the agent is online', async () => (await call(own.url, 'GET', '/api/agents/runs-for-real', { token })).body.online === true, 45_000);
    t.pass();
  } finally {
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    await rm(home, { recursive: true, force: true });
  }
});
