/**
 * Source control in the UI, in real Chromium through the real nginx with a real agent process and
 * a real git server: the configure page's Source Code Management section (Git, the credentials
 * drop-down, branches, Advanced) saves the job's scm; the build page lists its Changes with their
 * files (a hostile commit message stays text); the job page's Recent Changes leads to them.
 */
import test from 'ava';
import { builds, Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let server: GitServer;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  server = await startGitServer({ ci: 'ui-secret-pw' });
  admin = await bootstrapAdmin(sys.url);
});
test.after.always(async () => {
  await sys?.close();
  await server?.close();
});

test('configure Git with a credential, build twice, and read the Changes and Recent Changes', async (t) => {
  t.timeout(180_000);
  const repo = await server.repo('ui-app', { private: true });
  await repo.commit('Initial import', { 'a.txt': 'a' });
  await repo.push();
  t.is((await call(sys.url, 'POST', '/api/credentials', { token: admin, json: { id: 'ui-git', description: 'UI repo', kind: 'usernamePassword', username: 'ci', password: 'ui-secret-pw' } })).status, 201);
  const api = builds(sys.master, admin);
  await api.job('gitui', { steps: [{ type: 'shell', script: 'cat a.txt' }] });
  await new Fleet(t, sys.master, admin).agent('ui-git-agent');
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;

  await page.goto(`${sys.url}/job/gitui/configure`);
  const scm = page.locator('jk-job-config-page section[id="Source Code Management"]');
  await scm.getByLabel('Git').check();
  await scm.getByLabel('Repository URL').fill(`${server.url}ui-app.git`);
  const credentials = scm.getByLabel('Credentials');
  await credentials.locator('option', { hasText: 'ui-git (UI repo) — username and password' }).waitFor({ state: 'attached' });
  await credentials.selectOption('ui-git');
  await scm.getByLabel(/Branch Specifier/).fill('*/main\n*/master');
  await scm.locator('summary', { hasText: 'Advanced' }).click();
  await scm.getByLabel('Clean before checkout').check();
  await shot('scm-01-configure');
  await page.locator('jk-job-config-page').getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(`${sys.url}/job/gitui/`);
  const saved = (await call(sys.url, 'GET', '/api/jobs/gitui', { token: admin })).body.scm;
  t.like(saved, { type: 'git', url: `${server.url}ui-app.git`, credentialsId: 'ui-git', branches: ['*/main', '*/master'], clean: true });

  t.is((await api.finished('gitui', await api.numberOf(await api.trigger('gitui')))).result, 'SUCCESS');
  await repo.commit('<img src=x onerror=alert(1)> tidy up', { 'a.txt': 'a2', 'docs/guide.md': 'hello' }, { name: 'Grace Hopper', email: 'grace@example.org' });
  await repo.push();
  const second = await api.numberOf(await api.trigger('gitui'));
  t.is((await api.finished('gitui', second)).result, 'SUCCESS');

  await page.goto(`${sys.url}/job/gitui/`);
  await page.getByRole('link', { name: 'Recent Changes' }).click();
  await page.waitForURL(`${sys.url}/job/gitui/changes`);
  const latest = page.locator(`jk-changes-page section[data-build="${second}"]`);
  await latest.locator('li.commit').waitFor();
  const commit = await latest.locator('li.commit').innerText();
  t.regex(commit, /<img src=x onerror=alert\(1\)> tidy up/);
  t.regex(commit, /docs\/guide\.md/);
  t.is(await page.locator('jk-changes-page img').count(), 0, 'the message is text, not markup');
  t.regex(await page.locator(`jk-changes-page section[data-build="${second - 1}"] p`).innerText(), /No changes/);
  await shot('scm-02-recent-changes');
  await latest.getByRole('link', { name: `#${second}` }).click();
  await page.waitForURL(`${sys.url}/job/gitui/${second}/`);
  const changes = page.locator('jk-build-page section.changes');
  await changes.locator('li.commit').waitFor();
  const text = await changes.locator('li.commit').innerText();
  t.regex(text, /Grace Hopper/);
  t.regex(text, /A\s*docs\/guide\.md/);
  t.regex(text, /M\s*a\.txt/);
  t.regex(await page.locator('jk-build-page dd', { has: page.locator('code.revision') }).innerText(), /^[0-9a-f]{40} \(origin\/main\)/);
  await shot('scm-03-build-changes');
  expectNoPageErrors(t, ui);

  // A person who is not an admin sees the same choice (the credentials this job may use), and nothing fails.
  t.is((await call(sys.url, 'POST', '/api/users', { token: admin, json: { username: 'dev', password: 'dev-password-1' } })).status, 201);
  const dev = (await call(sys.url, 'POST', '/login', { json: { username: 'dev', password: 'dev-password-1' } })).text;
  await page.evaluate((tk) => localStorage.setItem('jonkkins.token', tk), dev);
  await page.goto(`${sys.url}/job/gitui/configure`);
  const field = page.locator('jk-job-config-page section[id="Source Code Management"]').getByLabel('Credentials');
  await field.waitFor();
  await field.locator('option', { hasText: 'ui-git' }).waitFor({ state: 'attached' });
  t.is(await field.evaluate((e) => e.tagName), 'SELECT');
  t.is(await field.inputValue(), 'ui-git');
  expectNoPageErrors(t, ui);
});
