/**
 * Jobs that work together, through the master, Redis and a real agent process:
 * build → test → deploy passing VERSION (a predefined parameter) and the current parameters on,
 * with conditions that fire and conditions that do not.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { spawnJonkkins, stopProcess, until, type JonkkinsProcess } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: JonkkinsProcess;
test.before(async () => {
  m = await startTestMaster({}, { maintenance: { sweepEveryMs: 500, watchdogEveryMs: 500 } });
  admin = await bootstrapAdmin(m.url);
  const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'chain-agent', executors: 3 } });
  agent = spawnJonkkins(['agent', '--url', m.url, '--name', 'chain-agent', '--workdir', await mkdtemp(join(tmpdir(), 'jk-chain-'))], { JONKKINS_AGENT_SECRET: body.secret });
});
test.after.always(async () => {
  await stopProcess(agent);
  await m?.close();
});

const createJob = async (json: object) => {
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json });
  if (res.status !== 201) throw new Error(res.text);
};
const build = (job: string, n: number | string) => call(m.url, 'GET', `/api/jobs/${job}/builds/${n}`, { token: admin }).then((r) => r.body);
const consoleOf = (job: string, n: number) => call(m.url, 'GET', `/api/jobs/${job}/builds/${n}/log`, { token: admin }).then((r) => r.text);
const finished = (job: string, n: number) => until(`${job} #${n} to finish`, async () => (await build(job, n)).result != null, 30_000);

test('build → test → deploy: predefined and current parameters flow down; conditions decide', async (t) => {
  await createJob({
    name: 'deploy',
    parameters: [{ type: 'string', name: 'VERSION' }, { type: 'choice', name: 'TARGET', choices: ['staging', 'prod'] }, { type: 'boolean', name: 'SMOKE', default: false }],
    steps: [{ type: 'shell', script: 'echo "deploying $VERSION to $TARGET smoke=$SMOKE"' }],
  });
  await createJob({ name: 'notify-failure', steps: [{ type: 'shell', script: 'echo never' }] });
  await createJob({
    name: 'test',
    parameters: [{ type: 'string', name: 'VERSION' }, { type: 'choice', name: 'TARGET', choices: ['staging', 'prod'] }, { type: 'string', name: 'SMOKE' }],
    steps: [{ type: 'shell', script: 'echo "testing $VERSION"' }],
    publishers: [
      { type: 'triggerBuilds', projects: 'deploy', condition: 'SUCCESS', currentParameters: true },
      { type: 'triggerBuilds', projects: 'notify-failure', condition: 'FAILED' },
    ],
  });
  await createJob({
    name: 'build',
    parameters: [{ type: 'choice', name: 'TARGET', choices: ['staging', 'prod'] }],
    steps: [{ type: 'shell', script: 'echo "building for $TARGET"' }],
    publishers: [
      { type: 'triggerBuilds', projects: 'test', condition: 'UNSTABLE_OR_BETTER', currentParameters: true, predefinedParameters: 'VERSION=1.${BUILD_NUMBER}.0\n# a comment\nSMOKE: true\nIGNORED=not a parameter of test' },
      { type: 'triggerBuilds', projects: 'notify-failure', condition: 'UNSTABLE_OR_WORSE' },
    ],
  });
  await call(m.url, 'POST', '/api/jobs/build/builds', { token: admin, json: { parameters: { TARGET: 'prod' } } });
  await until('deploy #1 to exist', async () => (await call(m.url, 'GET', '/api/jobs/deploy/builds/1', { token: admin })).status === 200, 30_000);
  await finished('deploy', 1);

  t.regex(await consoleOf('build', 1), /Triggering a new build of test\nFinished: SUCCESS\n$/);
  const testBuild = await build('test', 1);
  t.like(testBuild, { result: 'SUCCESS', parameters: { VERSION: '1.1.0', TARGET: 'prod', SMOKE: 'true' }, upstream: [{ job: 'build', number: 1 }] });
  t.is(testBuild.causes[0].description, 'Started by upstream project ‘build’ build number 1');
  t.regex(await consoleOf('test', 1), /^Started by upstream project ‘build’ build number 1\n/);
  // SMOKE is a string on test and a boolean on deploy: converted to deploy's type.
  t.like(await build('deploy', 1), { result: 'SUCCESS', parameters: { VERSION: '1.1.0', TARGET: 'prod', SMOKE: true }, upstream: [{ job: 'test', number: 1 }] });
  t.regex(await consoleOf('deploy', 1), /deploying 1\.1\.0 to prod smoke=true\n/);
  t.like((await build('build', 1)).downstream, [{ job: 'test', number: 1 }]);
  // The conditions that do not hold fired nothing.
  t.is((await call(m.url, 'GET', '/api/jobs/notify-failure/builds', { token: admin })).body.builds.length, 0);
});

test('build other projects, and build after other projects are built, honour their thresholds', async (t) => {
  await createJob({ name: 'lib', steps: [{ type: 'shell', script: 'exit "${FAIL:-0}"' }], parameters: [{ type: 'string', name: 'FAIL', default: '0' }], publishers: [{ type: 'buildOtherProjects', projects: 'app', threshold: 'SUCCESS' }] });
  await createJob({ name: 'app', steps: [{ type: 'shell', script: 'true' }] });
  await createJob({ name: 'docs', steps: [{ type: 'shell', script: 'true' }], triggers: { upstream: { projects: 'lib', threshold: 'FAILURE' } } });
  await call(m.url, 'POST', '/api/jobs/lib/builds', { token: admin, json: {} });
  await finished('lib', 1);
  await until('app #1 and docs #1', async () => (await call(m.url, 'GET', '/api/jobs/app/builds/1', { token: admin })).status === 200 && (await call(m.url, 'GET', '/api/jobs/docs/builds/1', { token: admin })).status === 200, 20_000);
  // A failing lib: below app's SUCCESS threshold, within docs' FAILURE threshold.
  await call(m.url, 'POST', '/api/jobs/lib/builds', { token: admin, json: { parameters: { FAIL: '1' } } });
  await finished('lib', 2);
  t.is((await build('lib', 2)).result, 'FAILURE');
  await until('docs #2', async () => (await call(m.url, 'GET', '/api/jobs/docs/builds/2', { token: admin })).status === 200, 20_000);
  t.is((await call(m.url, 'GET', '/api/jobs/app/builds/2', { token: admin })).status, 404);
  t.regex(await consoleOf('lib', 2), /Triggering a new build of docs\nFinished: FAILURE\n$/);
});
