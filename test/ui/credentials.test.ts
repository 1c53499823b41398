/**
 * Manage Jonkkins → Credentials and the configure page's Build Environment, in real Chromium
 * through the real nginx: every link and button they add, secrets write-only (an edit without
 * retyping keeps them; no page ever holds one), user text escaped, the drop-down offering only
 * what the job may use.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
let dir: string;
const SECRET = 'ui-secret-text-4711';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nui-key-body-0815\n-----END OPENSSH PRIVATE KEY-----';
const XSS = '<img src=x onerror="window.__pwned=1">';
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  dir = await mkdtemp(join(tmpdir(), 'jk-ui-cred-'));
  await writeFile(join(dir, 'settings.xml'), '<settings>ui-file-secret-42</settings>\n');
});
test.after.always(async () => {
  await sys?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The whole page's text and HTML, shadow roots included: no secret may be there. */
const everything = (page: Page) => page.evaluate(() => {
  const parts: string[] = [];
  const walk = (root: Document | ShadowRoot) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) {
        parts.push(el.shadowRoot.innerHTML);
        walk(el.shadowRoot);
      }
      if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) parts.push(el.value);
    }
  };
  parts.push(document.documentElement.outerHTML);
  walk(document);
  return parts.join('\n');
});

// The one test on this master: it lists every credential there is.
test('an admin adds, lists, edits without retyping, and deletes credentials; secrets never reach the page', async (t) => {
  const ui = await sys.session(t, admin);
  const { page } = ui;
  const row = (id: string) => page.locator(`jk-credentials-admin tr[data-credential="${id}"]`);
  const store = sys.master.services.credentials;
  await page.goto(`${sys.url}/manage`);
  await page.getByRole('link', { name: /Credentials/ }).click();
  await page.waitForURL(`${sys.url}/manage/credentials`);
  await page.getByText('No credentials yet').waitFor();

  // Secret text, with a description that tries to be HTML.
  await page.getByRole('button', { name: 'Add Credentials' }).click();
  await page.locator('#c-id').fill('gh-token');
  await page.locator('#c-secret').fill(SECRET);
  await page.locator('#c-description').fill(XSS);
  await page.locator('#c-jobs').fill('deploy-*, docs');
  await page.getByRole('button', { name: 'Create' }).click();
  await row('gh-token').waitFor();
  t.is(await row('gh-token').locator('td').nth(2).textContent(), XSS, 'the description is text');
  t.deepEqual(await row('gh-token').locator('.jobs span').allTextContents(), ['deploy-*', 'docs']);
  t.like(await store.secretFor('gh-token', 'docs'), { secret: SECRET });

  // SSH key and a secret file (uploaded).
  await page.getByRole('button', { name: 'Add Credentials' }).click();
  await page.locator('#c-kind').selectOption('sshPrivateKey');
  await page.locator('#c-id').fill('deploy-key');
  await page.locator('#c-username').fill('git');
  await page.locator('#c-key').fill(KEY);
  await page.locator('#c-passphrase').fill('ui-passphrase-99');
  await page.getByRole('button', { name: 'Create' }).click();
  await row('deploy-key').waitFor();
  await page.getByRole('button', { name: 'Add Credentials' }).click();
  await page.locator('#c-kind').selectOption('secretFile');
  await page.locator('#c-id').fill('maven-settings');
  await page.locator('#c-file').setInputFiles(join(dir, 'settings.xml'));
  await page.getByRole('button', { name: 'Create' }).click();
  await row('maven-settings').waitFor();
  t.deepEqual(await page.locator('jk-credentials-admin tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((c) => c.textContent))), [
    ['deploy-key', 'SSH Username with private key', '', 'git'],
    ['gh-token', 'Secret text', XSS, ''],
    ['maven-settings', 'Secret file', '', 'settings.xml'],
  ]);
  t.like(await store.secretFor('maven-settings', null), { fileName: 'settings.xml', content: Buffer.from('<settings>ui-file-secret-42</settings>\n').toString('base64') });

  // A bad id: the server's message next to the field; Cancel closes the form.
  await page.getByRole('button', { name: 'Add Credentials' }).click();
  await page.locator('#c-id').fill('-bad id');
  await page.locator('#c-secret').fill('x');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('jk-credentials-admin .field-error').first().waitFor();
  t.regex(await page.locator('jk-credentials-admin .field-error').first().textContent() ?? '', /letters, digits/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  t.is(await page.locator('jk-credentials-admin form').count(), 0);

  // Edit without retyping: the key and passphrase stay; the user name changes.
  await page.getByRole('button', { name: 'Edit deploy-key' }).click();
  t.is(await page.locator('#c-key').inputValue(), '', 'a secret is never filled in');
  t.is(await page.locator('#c-username').inputValue(), 'git');
  await page.locator('#c-username').fill('deployer');
  await page.locator('#c-description').fill('Deploys the site');
  await page.getByRole('button', { name: 'Save' }).click();
  await row('deploy-key').getByText('Deploys the site').waitFor();
  t.deepEqual(await store.secretFor('deploy-key', null), { kind: 'sshPrivateKey', username: 'deployer', privateKey: KEY, passphrase: 'ui-passphrase-99' });

  await page.reload();
  await row('deploy-key').waitFor();
  await page.getByRole('button', { name: 'Edit gh-token' }).click();
  const html = await everything(page);
  for (const secret of [SECRET, 'ui-key-body-0815', 'ui-passphrase-99', 'ui-file-secret-42', Buffer.from('<settings>ui-file-secret-42</settings>\n').toString('base64')]) {
    t.false(html.includes(secret), `${secret} on the page`);
  }
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Delete maven-settings' }).click();
  await row('maven-settings').waitFor({ state: 'detached' });
  t.is((await call(sys.url, 'GET', '/api/credentials/maven-settings', { token: admin })).status, 404);
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  expectNoPageErrors(t, ui);
});

test('Build Environment: bindings and SSH keys picked from the credentials the job may use', async (t) => {
  // A master of its own: the drop-downs offer every credential the job may use, and the other test's are on the shared one.
  const own = await sys.own(t);
  const owner = await bootstrapAdmin(own.url);
  for (const json of [
    { id: 'gh-token', kind: 'secretText', secret: SECRET, description: XSS, jobs: ['deploy-*', 'docs'] },
    { id: 'deploy-key', kind: 'sshPrivateKey', username: 'git', privateKey: KEY, passphrase: 'ui-passphrase-99' },
    { id: 'docs-only', kind: 'secretText', secret: 'nope-123', jobs: ['docs'] },
  ]) {
    const made = await call(own.url, 'POST', '/api/credentials', { token: owner, json });
    t.is(made.status, 201, made.text);
  }
  t.is((await call(own.url, 'POST', '/api/jobs', { token: owner, json: { name: 'deploy-site' } })).status, 201);
  const ui = await own.session(t, owner);
  const { page } = ui;
  await page.goto(`${own.url}/job/deploy-site/configure`);
  await page.getByRole('link', { name: 'Build Environment' }).click();
  await page.locator('#add-binding').selectOption('secretText');
  await page.getByRole('button', { name: 'Add binding' }).click();
  const credentialSelect = page.locator('[id="f-credentialBindings-0-credentialsId"]');
  t.deepEqual(await credentialSelect.locator('option').allTextContents(), ['— choose a credential —', `gh-token (${XSS})`], 'only the secret texts this job may use');
  await credentialSelect.selectOption('gh-token');
  await page.locator('[id="f-credentialBindings-0-variable"]').fill('GH_TOKEN');
  await page.getByRole('button', { name: 'Add SSH key' }).click();
  await page.locator('[id="f-sshAgent-0"]').selectOption('deploy-key');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('Saved').waitFor();
  const job = (await call(own.url, 'GET', '/api/jobs/deploy-site', { token: owner })).body;
  t.deepEqual(job.credentialBindings, [{ type: 'secretText', credentialsId: 'gh-token', variable: 'GH_TOKEN' }]);
  t.deepEqual(job.sshAgent, ['deploy-key']);

  // A binding left without a credential: the server's message next to it.
  await page.locator('#add-binding').selectOption('usernamePassword');
  await page.getByRole('button', { name: 'Add binding' }).click();
  t.regex(await page.locator('[id="f-credentialBindings-1-credentialsId"] option').first().textContent() ?? '', /choose/);
  t.truthy(await page.getByText('No credential of this kind is available to this job').count());
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('[id="f-credentialBindings-1-credentialsId"] ~ .field-error').waitFor();
  // Removed again: the job keeps its one binding.
  await page.locator('[data-item="credentialBindings.1"]').getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('Saved').last().waitFor();
  t.is((await call(own.url, 'GET', '/api/jobs/deploy-site', { token: owner })).body.credentialBindings.length, 1);
  const html = await everything(page);
  t.false(html.includes(SECRET) || html.includes('nope-123'), 'no secret on the configure page');
  expectNoPageErrors(t, ui);
});
