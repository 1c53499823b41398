/**
 * The UI end to end, in real Chromium through the real nginx, against a real master and agent
 * processes: first run → admin → a parameterized two-step job → build with parameters → live
 * console → busy executor and queue → abort → a view → a new agent from Manage whose command works.
 * Each step sets up what it needs (its own browser session, jobs and agents), so they run side by
 * side; the first run has a system of its own, as it needs one without any account.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fleet } from '../helpers/fleet.ts';
import { call, login } from '../helpers/http.ts';
import { stopProcess, until } from '../helpers/processes.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

const ADMIN = { username: 'ada', fullName: 'Ada Lovelace', password: 'analytical-engine' };
const JOB = 'hello world';
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The job every view test picks (made through the API: New Item has its own test). */
const PARAMETERIZED = {
  parameters: [{ type: 'string', name: 'WHO', default: 'world' }],
  concurrentBuild: true,
  steps: [{ type: 'shell', script: 'echo "hello $WHO"' }, { type: 'shell', script: 'for i in $(seq 1 600); do echo "tick $i"; sleep 0.1; done' }],
};

let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  const first = await call(sys.url, 'POST', '/api/users', { json: ADMIN });
  if (first.status !== 201) throw new Error(first.text);
  admin = await login(sys.url, ADMIN.username, ADMIN.password);
  const job = await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: JOB, ...PARAMETERIZED } });
  if (job.status !== 201) throw new Error(job.text);
});
test.after.always(async () => {
  await sys?.close();
});

test('first run: the login page offers to create the admin account, then the empty dashboard says what to do', async (t) => {
  const fresh = await startUiSystem();
  t.teardown(() => fresh.close());
  const { page, shot } = fresh.ui;
  await page.goto(`${fresh.url}/`);
  await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  await shot('01-first-run');
  await page.fill('#username', ADMIN.username);
  await page.fill('#fullName', ADMIN.fullName);
  await page.fill('#password', ADMIN.password);
  await page.fill('#confirm', ADMIN.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('No jobs yet — create one').waitFor();
  t.is(new URL(page.url()).pathname, '/');
  t.truthy(await page.evaluate(() => localStorage.getItem('jonkkins.token')), 'the token is kept in localStorage');
  await shot('02-dashboard-empty');
  expectNoPageErrors(t, fresh.ui);
});

test('New Item → Configure: a parameterized job with two shell steps', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  const name = 'made in the browser';
  await page.goto(`${sys.url}/`);
  await page.getByRole('link', { name: 'New Item' }).click();
  await page.fill('#name', name);
  await shot('03-new-item');
  await page.getByRole('button', { name: 'OK' }).click();
  await page.getByRole('heading', { name: `Configure ${name}` }).waitFor();
  await page.getByRole('button', { name: 'Add Parameter' }).click();
  await page.fill('#f-parameters-0-name', 'WHO');
  await page.fill('#f-parameters-0-default', 'world');
  await page.getByLabel('Execute concurrent builds if necessary').check();
  await page.getByRole('button', { name: 'Add build step' }).click();
  await page.fill('#f-steps-0-script', 'echo "hello $WHO"');
  await page.getByRole('button', { name: 'Add build step' }).click();
  await page.fill('#f-steps-1-script', 'for i in $(seq 1 600); do echo "tick $i"; sleep 0.1; done');
  await shot('04-configure');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { name: `Project ${name}` }).waitFor();
  const saved = await call(sys.url, 'GET', `/api/jobs/${encodeURIComponent(name)}`, { token: admin });
  t.deepEqual(saved.body.parameters, [{ type: 'string', name: 'WHO', default: 'world' }]);
  t.deepEqual(saved.body.steps.map((s: { script: string }) => s.script), ['echo "hello $WHO"', 'for i in $(seq 1 600); do echo "tick $i"; sleep 0.1; done']);
  t.true(saved.body.concurrentBuild);
  expectNoPageErrors(t, ui);
});

test('Build with Parameters → the console arrives live; executors full → busy executor with progress and a queue item → abort → ABORTED', async (t) => {
  t.timeout(120_000);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  const token = admin;
  // Its own job, on its own agent only (the label names it), so the second build must wait.
  const live = 'live console';
  t.is((await call(sys.url, 'POST', '/api/jobs', { token, json: { name: live, label: 'solo', ...PARAMETERIZED } })).status, 201);
  const fleet = new Fleet(t, sys.master, token);
  await fleet.agent('solo', { executors: 1 });

  await page.goto(`${sys.url}/job/${encodeURIComponent(live)}/`);
  await page.getByRole('button', { name: 'Build with Parameters' }).click();
  await page.fill('#p-WHO', 'browser');
  await shot('05-build-with-parameters');
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await page.getByRole('link', { name: '#1', exact: true }).click();
  const console_ = page.locator('jk-console pre');
  await until('the first step\'s output in the console', async () => (await console_.innerText()).includes('hello browser'), 20_000, 100);
  await until('the second step\'s ticks', async () => /^tick 5$/m.test(await console_.innerText()), 20_000, 100);
  t.notRegex(await console_.innerText(), /^tick 600$/m, 'the build is still running: the console is live, not loaded after the fact');
  t.true(await page.locator('jk-console').getByRole('status').filter({ hasText: '● Live' }).isVisible());
  await shot('06-console-live');

  // A second build waits: the only executor is busy.
  const second = await call(sys.url, 'POST', `/api/jobs/${encodeURIComponent(live)}/builds`, { token, json: { parameters: { WHO: 'queue' } } });
  t.is(second.status, 201);
  await page.getByRole('link', { name: 'Jonkkins' }).click();
  const executor = page.locator('jk-executor-status li.busy');
  await executor.getByRole('link', { name: live }).waitFor();
  t.is(await executor.getByRole('link', { name: '#1' }).count(), 1);
  t.is(await executor.locator('jk-progress [role=progressbar]').count(), 1, 'the busy executor shows a progress bar');
  const queued = page.locator(`jk-build-queue li[data-queue-id="${second.body.queueId}"]`);
  await queued.waitFor();
  t.regex(await queued.innerText(), /Waiting for next available executor/);
  await shot('07-dashboard-busy');

  await page.goto(`${sys.url}/job/${encodeURIComponent(live)}/1/`);
  await page.getByRole('button', { name: 'Abort' }).click();
  await page.locator('[data-result="ABORTED"]').waitFor({ timeout: 15_000 });
  await until('Finished: ABORTED in the console', async () => /^Finished: ABORTED$/m.test(await page.locator('jk-console pre').innerText()), 15_000, 100);
  await shot('08-build-aborted');
  await call(sys.url, 'DELETE', `/api/queue/${second.body.queueId}`, { token });
  await call(sys.url, 'POST', `/api/jobs/${encodeURIComponent(live)}/builds/2/abort`, { token });
  expectNoPageErrors(t, ui);
});

test('New View: a list view with the job picked by checkbox becomes a tab', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/`);
  await page.getByRole('link', { name: 'New View' }).first().click();
  await page.fill('#view-name', 'Team');
  await page.fill('#view-description', 'What the team builds');
  await page.getByLabel(JOB, { exact: true }).check();
  await shot('09-new-view');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/view\/Team\/$/);
  t.is(await page.locator('nav.tabs a[aria-current="page"]').innerText(), 'Team');
  await page.locator('jk-job-table').getByRole('link', { name: JOB }).waitFor();
  await shot('10-view');
  expectNoPageErrors(t, ui);
});

test('New View by regular expression: the editor and the tab match with RE2; a backreference is refused on the field', async (t) => {
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/new-view`);
  await page.fill('#view-name', 'By regex');
  // Exponential for a backtracking engine against "hello world"; RE2 answers at once, in the page too.
  await page.fill('#view-regex', '((h|he|hel)*(l|lo)*)+ world');
  await t.notThrowsAsync(page.getByLabel(JOB, { exact: true }).and(page.locator(':checked:disabled')).waitFor({ timeout: 5000 }), 'matched in the editor');
  await page.fill('#view-regex', '((h+)+)\\2 world');
  await page.getByRole('button', { name: 'Create' }).click();
  t.regex(await page.locator('.field-error').innerText(), /backreferences/);
  await page.fill('#view-regex', '(hello|bye) w.*');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/view\/By%20regex\/$/);
  await page.locator('jk-job-table').getByRole('link', { name: JOB }).waitFor();
  expectNoPageErrors(t, ui);
});

test('Manage → Nodes → New Node shows the secret once with a command that starts a working agent', async (t) => {
  t.timeout(90_000);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/manage`);
  await shot('11-manage');
  await page.getByRole('link', { name: 'Nodes' }).click();
  await page.getByRole('button', { name: 'New Node' }).click();
  await page.fill('#node-name', 'from-ui');
  await page.fill('#node-executors', '1');
  await page.fill('#node-labels', 'ui browser');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const command = (await page.locator('[data-testid="agent-command"]').innerText()).trim();
  await shot('12-new-node');
  t.regex(command, /^printf '%s\\n' '[^']+' \| npx jonkkins agent --url '[^']+' --name 'from-ui' --secret-stdin$/);
  const workdir = await mkdtemp(join(tmpdir(), 'jk-ui-agent-'));
  // Exactly the command shown, run by a shell in a checkout; its own process group, so npx and
  // the agent under it stop together.
  const agent = spawn('bash', ['-c', command], { cwd: REPO, env: { ...process.env, JONKKINS_AGENT_WORKDIR: workdir }, stdio: 'ignore', detached: true });
  t.teardown(async () => {
    try {
      process.kill(-agent.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await stopProcess(agent, 5000);
    await rm(workdir, { recursive: true, force: true });
  });
  const row = page.locator('jk-nodes-admin tr[data-agent="from-ui"]');
  await until('the new agent to show online', async () => (await row.locator('td.online').count()) === 1, 45_000, 250);
  t.is(await row.locator('td.online').innerText(), 'online');
  await shot('13-nodes');
  await page.goto(`${sys.url}/people`);
  await page.getByText(ADMIN.fullName).waitFor();
  await shot('14-people');
  expectNoPageErrors(t, ui);
});
