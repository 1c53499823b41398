/**
 * The dockerBuild step in the browser (real Chromium through the real nginx): "Add build step"
 * offers "Docker build and publish" with its fields, which save as the job document's step; the
 * build page names the image a build pushed (reported the way an agent reports it); Manage → Nodes
 * shows the label an agent probed for itself.
 */
import test from 'ava';
import { agentLogin, bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
});
test.after.always(async () => {
  await sys?.close();
});

test('Configure → Add build step → Docker build and publish: its fields save as the step', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  t.is((await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'imaged' } })).status, 201);
  const add = (json: object) => call(sys.url, 'POST', '/api/credentials', { token: admin, json });
  t.is((await add({ id: 'registry-login', kind: 'usernamePassword', username: 'ci', password: 'never-shown-pw', description: 'the registry' })).status, 201);
  t.is((await add({ id: 'some-token', kind: 'secretText', secret: 'never-shown-token' })).status, 201);
  await page.goto(`${sys.url}/job/imaged/configure`);
  await page.getByRole('heading', { name: 'Configure imaged' }).waitFor();
  await page.selectOption('#add-step', { label: 'Docker build and publish' });
  await page.getByRole('button', { name: 'Add build step' }).click();
  const step = page.locator('[data-item="steps.0"]');
  t.is(await step.locator('.item-head span').first().innerText(), 'Docker build and publish');
  await page.fill('#f-steps-0-repository', 'team/app');
  await page.fill('#docker-steps-0-tags', '$BUILD_NUMBER, latest,stable');
  await page.fill('#f-steps-0-context', 'app');
  await page.fill('#f-steps-0-dockerfile', 'app/Dockerfile.ci');
  await page.fill('#docker-steps-0-args', 'VERSION=$BUILD_NUMBER\nCHANNEL=beta=1');
  await page.fill('#f-steps-0-registry-url', 'http://127.0.0.1:5000');
  const credentials = page.locator('#f-steps-0-registry-credentialsId');
  t.deepEqual(await credentials.locator('option').allInnerTexts(), ['— none: push without logging in —', 'registry-login (the registry)'], 'only Username with password credentials');
  await credentials.selectOption('registry-login');
  await page.getByLabel('Do not use the build cache').check();
  await shot('docker-01-configure');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { name: 'Project imaged' }).waitFor();
  const saved = await call(sys.url, 'GET', '/api/jobs/imaged', { token: admin });
  t.deepEqual(saved.body.steps, [{
    type: 'dockerBuild', context: 'app', dockerfile: 'app/Dockerfile.ci', repository: 'team/app', tags: ['$BUILD_NUMBER', 'latest', 'stable'],
    buildArgs: { VERSION: '$BUILD_NUMBER', CHANNEL: 'beta=1' }, noCache: true, pull: false, push: true,
    registry: { url: 'http://127.0.0.1:5000', credentialsId: 'registry-login' },
  }]);
  // Choosing no credential again leaves the field out; a bad repository is the server's message next to the field.
  await page.goto(`${sys.url}/job/imaged/configure`);
  await credentials.selectOption('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('Saved').first().waitFor();
  t.deepEqual((await call(sys.url, 'GET', '/api/jobs/imaged', { token: admin })).body.steps[0].registry, { url: 'http://127.0.0.1:5000' });
  await page.fill('#f-steps-0-repository', 'Team/App');
  await page.getByRole('button', { name: 'Apply' }).click();
  await step.getByRole('alert').filter({ hasText: 'lowercase repository name' }).waitFor();
  expectNoPageErrors(t, ui);
});

test('the build page names the image a build pushed, by digest', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  const agent = await registeredAgentToken(sys.url, admin, { name: 'pusher', executors: 1 });
  const steps = [{ type: 'dockerBuild', repository: 'team/app', tags: ['$BUILD_NUMBER'], registry: { url: 'http://127.0.0.1:5000' } }];
  t.is((await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'pushed', steps } })).status, 201);
  const queued = await call(sys.url, 'POST', '/api/jobs/pushed/builds', { token: admin, json: {} });
  const id = queued.body.queueId;
  const spec = await call(sys.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor: 0 } });
  const digest = `sha256:${'7f'.repeat(32)}`;
  t.is((await call(sys.url, 'POST', `/api/agent/builds/${id}/docker-images`, { token: agent, json: { step: 0, image: '127.0.0.1:5000/team/app', tags: ['1'], digest } })).status, 200);
  t.is((await call(sys.url, 'POST', `/api/agent/builds/${id}/finish`, { token: agent, json: { result: 'SUCCESS', logSize: spec.body.logOffset } })).status, 200);
  await page.goto(`${sys.url}/job/pushed/1/`);
  const shown = page.locator('dd.docker-image');
  await shown.waitFor();
  t.is(await shown.locator('code').innerText(), `127.0.0.1:5000/team/app@${digest}`);
  t.regex(await page.locator('jk-build-page dl').innerText(), new RegExp(`Docker image\\s+127\\.0\\.0\\.1:5000/team/app@${digest}\\s+tags 1`));
  await shot('docker-02-build-page');
  expectNoPageErrors(t, ui);
});

test('Manage → Nodes shows a label the agent probed for itself beside the admin\'s', async (t) => {
  const { body } = await call(sys.url, 'POST', '/api/agents', { token: admin, json: { name: 'prober', executors: 1, labels: ['linux'] } });
  t.is((await call(sys.url, 'POST', '/login-slave', { json: { ...agentLogin('prober', body.secret), probedLabels: ['docker'] } })).status, 200);
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/manage/nodes`);
  const labels = page.locator('tr[data-agent="prober"] td.labels');
  await labels.waitFor();
  t.deepEqual(await labels.locator('span').allInnerTexts(), ['linux', 'docker']);
  t.is(await labels.locator('span.probed').innerText(), 'docker');
  expectNoPageErrors(t, ui);
});
