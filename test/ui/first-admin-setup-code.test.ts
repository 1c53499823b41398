/**
 * The first-admin form of a master that listens beyond loopback asks for the setup code, says
 * why a wrong one was refused, and creates the admin with the right one — in real Chromium.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../master/src/log.ts';
import { webRoot } from '../../master/src/server.ts';
import { SetupCode } from '../../master/src/users/setup-code.ts';
import { openBrowser } from '../helpers/browser.ts';
import { expectNoPageErrors } from '../helpers/ui-system.ts';
import { startTestMaster } from '../helpers/test-master.ts';

test('the first-admin form asks for the setup code and refuses a wrong one with the reason', async (t) => {
  const dist = webRoot();
  if (!dist) throw new Error('web/dist is missing: run `npm run build:web`');
  const home = await mkdtemp(join(tmpdir(), 'jk-ui-setup-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const setupCode = new SetupCode(home); // as server.ts makes it for HOST=0.0.0.0
  await setupCode.prepare(false, createLogger('silent'));
  const code = (await readFile(setupCode.file, 'utf8')).trim();
  const master = await startTestMaster({ staticDir: dist, setupCode });
  t.teardown(() => master.close());
  const ui = await openBrowser();
  t.teardown(() => ui.close());
  const { page, shot } = ui;

  await page.goto(`${master.url}/`);
  await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  await page.fill('#username', 'ada');
  await page.fill('#password', 'analytical-engine');
  await page.fill('#confirm', 'analytical-engine');
  await page.fill('#setupCode', 'not-the-code');
  await shot('setup-code-01-form');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').getByText('Creating the first admin needs the setup code').waitFor();
  await shot('setup-code-02-refused');

  await page.fill('#setupCode', ` ${code} `); // pasted with the spaces around it
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('No jobs yet — create one').waitFor();
  t.is((await master.services.users.list()).map((u) => `${u.username}:${u.role}`).join(), 'ada:admin');
  expectNoPageErrors(t, ui);
});
