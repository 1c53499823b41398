/**
 * Run parameters (Jenkins' RunParameterDefinition): a build of another job as `job#number`; when
 * none is given, that job's last build passing the filter; the build's environment names it as
 * Jenkins does. The test speaks the agent protocol itself.
 */
import test from 'ava';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'runner', executors: 4 } });
  agent = (await call(m.url, 'POST', '/login-slave', { json: agentLogin('runner', body.secret) })).text;
  await call(m.url, 'POST', '/api/agent/heartbeat', { token: agent });
});
test.after.always(() => m?.close());

const trigger = async (name: string, parameters: object = {}) => call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: { parameters } });
const start = async (id: number) => (await call(m.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor: 0 } })).body;
/** Runs one build of `job` to `result` through the agent protocol. */
async function build(job: string, result: string): Promise<void> {
  const id = (await trigger(job)).body.queueId as number;
  const spec = await start(id);
  const finished = await call(m.url, 'POST', `/api/agent/builds/${id}/finish`, { token: agent, json: { result, logSize: spec.logOffset } });
  if (finished.status !== 200) throw new Error(finished.text);
}

test('the default is the last build passing the filter; a given job#number is used; the environment names the build', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'lib', concurrentBuild: true } });
  await build('lib', 'SUCCESS'); // #1
  await build('lib', 'UNSTABLE'); // #2
  await build('lib', 'FAILURE'); // #3
  const running = (await trigger('lib')).body.queueId as number;
  await start(running); // #4, still running
  const parameters = (['ALL', 'COMPLETED', 'SUCCESSFUL', 'STABLE'] as const).map((filter) => ({ type: 'run', name: `R_${filter}`, projectName: 'lib', filter }));
  const made = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'app', concurrentBuild: true, parameters: [...parameters, { type: 'run', name: 'NONE', projectName: 'never-built' }] } });
  t.is(made.status, 201, made.text);

  const item = await trigger('app');
  t.is(item.status, 201, item.text);
  const env = (await start(item.body.queueId)).env as Record<string, string>;
  t.is(env.R_ALL, 'http://jonkkins.test/job/lib/4/');
  t.is(env.R_COMPLETED, 'http://jonkkins.test/job/lib/3/');
  t.is(env.R_SUCCESSFUL, 'http://jonkkins.test/job/lib/2/');
  t.like(env, { R_STABLE: 'http://jonkkins.test/job/lib/1/', R_STABLE_JOBNAME: 'lib', R_STABLE_NUMBER: '1', R_STABLE_NAME: '#1' });
  t.is(env.NONE, '', 'no build to default to');

  const given = await trigger('app', { R_STABLE: 'lib#2', R_ALL: '' });
  const givenEnv = (await start(given.body.queueId)).env as Record<string, string>;
  t.is(givenEnv.R_STABLE_NUMBER, '2');
  t.is(givenEnv.R_ALL_NUMBER, '4', 'an empty value (an empty form field) asks for the default');

  const bad = await trigger('app', { R_ALL: 'lib' });
  t.is(bad.status, 400);
  t.regex(bad.body.error.message, /R_ALL: must name a build as job#number, got 'lib'/);
});
