/**
 * The webhook and Poll SCM pages in real Chromium through the real nginx: Manage → Webhooks (the
 * secret credentials, Generate token, Save, the URLs), the job's configure page (Poll SCM, GitHub
 * hook trigger, GitLab secret token, the commit status publisher), the job's Git Polling Log link
 * and Refresh; and a signed GitHub push reaching the master through nginx's webhook location.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { githubHeaders, githubPush } from '../fixtures/forge-payloads.ts';
import { bareRepo } from '../helpers/git-repos.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
let root: string;
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'jk-hooks-ui-'));
  sys = await startUiSystem(undefined, { allowLocalCheckout: true }); // its polled repository is a file:// one on this disk
  admin = await bootstrapAdmin(sys.url);
  await call(sys.url, 'POST', '/api/credentials', { token: admin, json: { id: 'gh-hook-secret', kind: 'secretText', secret: 'hook secret', description: 'GitHub hook' } });
  await call(sys.url, 'POST', '/api/credentials', { token: admin, json: { id: 'gitea-token', kind: 'secretText', secret: 'gitea api token' } });
});
test.after.always(async () => {
  await sys?.close();
  await rm(root, { recursive: true, force: true });
});

// The one test that writes the master-wide webhook settings; the signed push needs the secret it saves.
test('Manage → Webhooks: choose the GitHub secret, generate the notifyCommit token, save; the URLs are shown; a push signed with that secret builds a job through nginx', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/manage`);
  await page.getByRole('link', { name: /Webhooks/ }).click();
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await page.getByLabel('GitHub webhook secret').selectOption('gh-hook-secret');
  await page.getByRole('button', { name: 'Generate token' }).click();
  const token = await page.getByLabel('notifyCommit access token').inputValue();
  t.regex(token, /^[0-9a-f]{48}$/);
  t.true(await page.getByText(`${sys.url}/github-webhook/`).isVisible());
  await shot('webhooks-01-settings');
  await page.getByRole('button', { name: 'Save' }).click();
  // The toast, not any text holding "saved" (the token field's hint does).
  await page.locator('jk-toast').getByText('Saved', { exact: true }).waitFor();
  const saved = await call(sys.url, 'GET', '/api/settings/webhooks', { token: admin });
  t.like(saved.body, { githubSecretCredentialsId: 'gh-hook-secret', notifyCommitAccessToken: '****' });
  t.is((await call(sys.url, 'GET', `/git/notifyCommit?url=https://example.com/x&token=${token}`)).status, 200, 'the generated token was saved');
  expectNoPageErrors(t, ui);

  const repo = await bareRepo(root, 'ui-push');
  t.is((await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'pushed', scm: { type: 'git', url: repo.url }, triggers: { pollScm: '', githubPush: true } } })).status, 201);
  const body = githubPush({ owner: 'octo', repo: 'x', ref: 'refs/heads/main', after: 'a'.repeat(40), pusher: 'octocat' }).replaceAll('https://github.com/octo/x.git', repo.url);
  const res = await call(sys.url, 'POST', '/github-webhook/', { raw: body, headers: githubHeaders('push', body, 'hook secret') });
  t.is(res.status, 200, res.text);
  t.is(res.text, 'Scheduled pushed\n');
});

test('configure: Poll SCM, GitHub hook trigger, GitLab secret token and the commit status publisher are saved', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'hooked', scm: { type: 'git', url: 'https://github.com/octo/hooked.git' } } });
  await page.goto(`${sys.url}/job/hooked/configure`);
  await page.getByLabel('Poll SCM', { exact: true }).check();
  await page.getByLabel('Poll SCM schedule').fill('H/5 * * * *');
  await page.getByLabel('GitHub hook trigger for GITScm polling').check();
  await page.getByLabel('Build when a change is pushed to GitLab: secret token').fill('gitlab-token-123');
  await page.getByLabel('Add post-build action').selectOption('commitStatus');
  await page.getByRole('button', { name: 'Add post-build action' }).click();
  await page.getByLabel('Forge').selectOption('gitea');
  await page.getByLabel('Credentials (secret text holding the API token)').selectOption('gitea-token');
  await page.getByLabel('Context').fill('ci/jonkkins');
  await shot('webhooks-02-configure');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('Saved').first().waitFor();
  const job = (await call(sys.url, 'GET', '/api/jobs/hooked', { token: admin })).body;
  t.like(job.triggers, { pollScm: 'H/5 * * * *', githubPush: true, gitlabSecretToken: '****' });
  t.deepEqual(job.publishers, [{ type: 'commitStatus', forge: 'gitea', credentialsId: 'gitea-token', context: 'ci/jonkkins' }]);
  expectNoPageErrors(t, ui);
});

test('the Git Polling Log link shows the last poll; Refresh reads it again', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  const repo = await bareRepo(root, 'ui-poll');
  await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'polled', scm: { type: 'git', url: repo.url }, triggers: { pollScm: '', githubPush: true } } });
  await page.goto(`${sys.url}/job/polled/`);
  await page.getByRole('link', { name: 'Git Polling Log' }).click();
  await page.getByText('Polling has not run yet.').waitFor();
  const polled = await sys.master.services.scmPolling.poll((await sys.master.services.scmPolling.scmJobs()).filter((j) => j.job.name === 'polled'));
  t.is(polled, 1);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByText(`Found 1 remote heads on ${repo.url}`).waitFor();
  t.true(await page.getByText('Changes found').isVisible());
  await shot('webhooks-03-polling-log');
  expectNoPageErrors(t, ui);
});
