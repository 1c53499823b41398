/**
 * The step registry is open: a kind of step from the test tree ("echo": one schema file, one
 * agent file, test/fixtures/echo-step/) runs end to end through a real master, which validates
 * jobs with its schema, and a real `jonkkins agent` process, which loads it from
 * JONKKINS_STEP_MODULES. Nothing else in the code base knows the kind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { registerStepKind } from '../../shared/src/step-kinds.ts';
import { EchoStep } from '../fixtures/echo-step/echo-step-schema.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { spawnJonkkins, stopProcess, until, type JonkkinsProcess } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

// The master of this test knows the kind as a master started with JONKKINS_STEP_MODULES would.
registerStepKind(EchoStep);
const ECHO_AGENT_MODULE = fileURLToPath(new URL('../fixtures/echo-step/echo-step-agent.ts', import.meta.url));

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

/** A real agent process with `label`, loading `modules`; stopped with the test. */
async function agentProcess(t: import('ava').ExecutionContext, name: string, modules: string[]): Promise<JonkkinsProcess> {
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 1, labels: [name] } });
  const workdir = await mkdtemp(join(tmpdir(), 'jk-agent-'));
  const agent = spawnJonkkins(['agent', '--url', m.url, '--name', name, '--workdir', workdir], {
    JONKKINS_AGENT_SECRET: body.secret,
    ...(modules.length > 0 ? { JONKKINS_STEP_MODULES: modules.join(',') } : {}),
  });
  t.teardown(async () => {
    await stopProcess(agent);
    await rm(workdir, { recursive: true, force: true });
  });
  // A process start: tens of seconds on a machine as loaded as the test run makes it.
  await until(`agent ${name} to be online`, async () => (await call(m.url, 'GET', `/api/agents/${name}`, { token: admin })).body.online === true, 60_000);
  return agent;
}

/** Runs the job once; its result and console. */
async function build(job: string): Promise<{ result: string; console: string }> {
  const queued = await call(m.url, 'POST', `/api/jobs/${job}/builds`, { token: admin, json: {} });
  let number = 0;
  await until(`${job} to start`, async () => (number = (await call(m.url, 'GET', `/api/queue/${queued.body.queueId}`, { token: admin })).body.build?.number ?? 0) > 0);
  let result: string | null = null;
  await until(`${job} #${number} to finish`, async () => (result = (await call(m.url, 'GET', `/api/jobs/${job}/builds/${number}`, { token: admin })).body.result) !== null);
  return { result: result!, console: (await call(m.url, 'GET', `/api/jobs/${job}/builds/${number}/log`, { token: admin })).text };
}

test('a step kind added from the test tree runs end to end on a real agent process, between built-in steps', async (t) => {
  await agentProcess(t, 'echoer', [ECHO_AGENT_MODULE]);
  const steps = [{ type: 'shell', script: 'echo before' }, { type: 'echo', message: 'hello from a test-only step' }, { type: 'shell', script: 'echo after' }];
  const created = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'echo-job', label: 'echoer', steps } });
  t.is(created.status, 201, created.text);
  t.deepEqual((await call(m.url, 'GET', '/api/jobs/echo-job', { token: admin })).body.steps[1], { type: 'echo', message: 'hello from a test-only step' });
  const { result, console } = await build('echo-job');
  t.is(result, 'SUCCESS', console);
  t.regex(console, /\+ echo before\nbefore\n\[echo\] hello from a test-only step\n.*\+ echo after\nafter\n/s);
});

test('the master validates a step with its kind\'s schema, and refuses a kind it does not know', async (t) => {
  const bad = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'bad-echo', steps: [{ type: 'echo', message: '', extra: 1 }] } });
  t.is(bad.status, 400);
  t.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), ['steps.0', 'steps.0.message']);
  const unknown = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'maven-job', steps: [{ type: 'shell', script: 'true' }, { type: 'mavenBuild' }] } });
  t.is(unknown.status, 400);
  t.deepEqual(unknown.body.error.details, [{ field: 'steps.1.type', message: "unknown step type 'mavenBuild' (known: shell, copyArtifacts, triggerBuilds, dockerBuild, echo)" }]);
});

test('an agent that lacks the kind fails the build with a FATAL line naming it, instead of hanging', async (t) => {
  await agentProcess(t, 'plain', []);
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'echo-elsewhere', label: 'plain', steps: [{ type: 'echo', message: 'never' }] } })).status, 201);
  const { result, console } = await build('echo-elsewhere');
  t.is(result, 'FAILURE');
  t.regex(console, /FATAL: this agent cannot run the build the master sent: steps\.0\.type: unknown step type 'echo'/);
  t.notRegex(console, /never/);
});
