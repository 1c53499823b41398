/**
 * The UI shows the master's answers rather than working them out again: a view's tab lists
 * exactly the jobs GET /api/jobs?view= answers (shared/src/view.ts matchesView), the view
 * editor's preview ticks exactly what ?includeRegex= answers, and Manage → Nodes shows the
 * version each agent stated at login. Through nginx in Chromium.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { PROTOCOL_VERSION } from '../../shared/src/agent-protocol.ts';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  for (const name of ['deploy-api', 'Deploy-web', 'docs', 'other']) {
    const res = await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name } });
    if (res.status !== 201) throw new Error(res.text);
  }
  const view = await call(sys.url, 'POST', '/api/views', { token: admin, json: { name: 'Deploys', jobs: ['docs'], includeRegex: 'deploy-.*' } });
  if (view.status !== 201) throw new Error(view.text);
});
test.after.always(async () => {
  await sys?.close();
});

const shownJobs = (page: Page) => page.locator('jk-job-table .name a').allTextContents();

test('a view\'s tab shows exactly the jobs the master counts in it', async (t) => {
  const ui = await sys.session(t, admin);
  const { page } = ui;
  const members = (await call(sys.url, 'GET', '/api/jobs?view=Deploys', { token: admin })).body.jobs.map((j: { name: string }) => j.name);
  t.deepEqual([...members].sort(), ['deploy-api', 'docs'], 'listed, plus the whole-name, case-sensitive regex');
  await page.goto(`${sys.url}/view/Deploys/`);
  await page.locator('jk-job-table .name a').first().waitFor();
  t.deepEqual((await shownJobs(page)).sort(), [...members].sort());
  await page.goto(`${sys.url}/`);
  await page.locator('jk-job-table .name a', { hasText: 'other' }).waitFor();
  t.deepEqual((await shownJobs(page)).sort(), ['Deploy-web', 'deploy-api', 'docs', 'other']);
  expectNoPageErrors(t, ui);
});

test('the view editor ticks what the master says the expression adds', async (t) => {
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/view/Deploys/configure`);
  const box = (name: string) => page.locator('jk-view-editor label.check', { hasText: new RegExp(`^\\s*${name}$`) }).locator('input');
  await box('deploy-api').waitFor();
  await page.locator('#view-regex').fill('Deploy-.*');
  await t.notThrowsAsync(box('Deploy-web').and(page.locator(':checked')).waitFor());
  t.false(await box('deploy-api').isChecked());
  t.true(await box('docs').isChecked(), 'listed by checkbox');
  expectNoPageErrors(t, ui);
});

test('Manage → Nodes shows the version an agent stated at login', async (t) => {
  const { body } = await call(sys.url, 'POST', '/api/agents', { token: admin, json: { name: 'versioned', executors: 1 } });
  const login = await call(sys.url, 'POST', '/login-slave', { json: { ...agentLogin('versioned', body.secret), agentVersion: '9.8.7' } });
  t.is(login.status, 200);
  await call(sys.url, 'POST', '/api/agents', { token: admin, json: { name: 'never-seen', executors: 1 } });
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/manage/nodes`);
  const version = (agent: string) => page.locator(`tr[data-agent="${agent}"] [data-testid="agent-version"]`);
  await version('versioned').waitFor();
  t.is((await version('versioned').textContent())?.trim(), `9.8.7 (protocol ${PROTOCOL_VERSION})`);
  t.is((await version('never-seen').textContent())?.trim(), '—');
  expectNoPageErrors(t, ui);
});
