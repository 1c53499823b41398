/**
 * A job that came from config.xml, saved on its configure page in real Chromium (through nginx):
 * the plugin configuration Jonkkins keeps but does not understand survives the save, and so do
 * the secrets the page shows as **** (the remote token, a password default). And a run parameter
 * on the configure and Build with Parameters pages.
 */
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { SecretBox } from '../../master/src/secret-box.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

const XML = `<?xml version='1.1' encoding='UTF-8'?>
<project>
  <description>from JJB</description>
  <properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>
    <hudson.model.PasswordParameterDefinition><name>PW</name><defaultValue>hunter2-secret</defaultValue></hudson.model.PasswordParameterDefinition>
  </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>
  <authToken>remote-token-1</authToken>
  <builders><hudson.tasks.Shell><command>echo hi</command></hudson.tasks.Shell></builders>
  <publishers><hudson.tasks.Mailer plugin="mailer"><recipients>ops@example.com</recipients></hudson.tasks.Mailer></publishers>
</project>`;

let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
});
test.after.always(async () => {
  await sys?.close();
});

test('saving on the configure page keeps the kept XML and the **** secrets', async (t) => {
  t.timeout(120_000);
  const created = await call(sys.url, 'POST', '/createItem?name=from-xml', { token: admin, raw: XML, headers: { 'content-type': 'text/xml' } });
  t.is(created.status, 200, created.text);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/job/from-xml/configure`);
  await page.getByRole('heading', { name: 'Configure from-xml' }).waitFor();
  await page.fill('#f-description', 'edited in the browser');
  await shot('config-xml-save-01-configure');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { name: 'Project from-xml' }).waitFor();

  const xml = (await call(sys.url, 'GET', '/job/from-xml/config.xml', { token: admin })).text;
  t.regex(xml, /<description>edited in the browser<\/description>/);
  t.regex(xml, /<hudson.tasks.Mailer plugin="mailer">\n {6}<recipients>ops@example.com<\/recipients>/);
  t.is((await call(sys.url, 'POST', '/job/from-xml/buildWithParameters?token=remote-token-1', {})).status, 201, 'the remote token survived the save');
  t.is((await call(sys.url, 'POST', '/job/from-xml/buildWithParameters?token=wrong-token-1', {})).status, 403);
  const config = await sys.master.pool.oneFirst(sql.type(z.object({ config: z.object({ parameters: z.array(z.object({ default: z.string() })) }) }))`SELECT config FROM jobs WHERE name = 'from-xml'`);
  t.true(SecretBox.isSealed(config.parameters[0]!.default), 'the password default is still the sealed secret');
  expectNoPageErrors(t, ui);
});

test('a run parameter: the configure page shows its project and filter; Build with Parameters left empty takes the last build', async (t) => {
  t.timeout(120_000);
  // The project the parameter names is this test's own, never built.
  t.is((await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'lib' } })).status, 201);
  const made = await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'uses-lib', parameters: [{ type: 'run', name: 'LIB', projectName: 'lib', filter: 'COMPLETED' }] } });
  t.is(made.status, 201, made.text);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/job/uses-lib/configure`);
  await page.getByRole('heading', { name: 'Configure uses-lib' }).waitFor();
  t.is(await page.locator('#f-parameters-0-projectName').inputValue(), 'lib');
  t.is(await page.locator('#f-parameters-0-filter').inputValue(), 'COMPLETED');
  await shot('config-xml-save-02-run-parameter');
  await page.goto(`${sys.url}/job/uses-lib/build`);
  const field = page.locator('#p-LIB');
  await field.waitFor();
  t.is(await field.getAttribute('placeholder'), 'lib#number (empty: the latest)');
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await page.getByRole('heading', { name: 'Project uses-lib' }).waitFor();
  const queue = (await call(sys.url, 'GET', '/api/queue', { token: admin })).body;
  const item = (queue.items ?? queue).find((q: { job: string }) => q.job === 'uses-lib');
  t.truthy(item, JSON.stringify(queue));
  t.is(item.parameters.LIB, '', 'lib has no completed build: nothing to default to');
  expectNoPageErrors(t, ui);
});
