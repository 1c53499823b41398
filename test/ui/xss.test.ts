/**
 * Every user-supplied string stays text in the real browser: payloads in a job's description
 * (Markdown included), parameters (definitions and values), a view, a person's name and the
 * console output render literally, create no elements, run nothing, and trip no CSP report.
 * Names that cannot hold markup (jobs, agents) are refused by the API, and the refusal is shown
 * as text too.
 */
import test, { type ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import { Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

const HTML = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><iframe src="javascript:window.__xss=3"></iframe>';
const MARKDOWN = `**bold** ${HTML} [click me](javascript:window.__xss=4) <a href="javascript:window.__xss=5">raw link</a>`;
const JOB = 'xss probe';
let sys: UiSystem;
let admin: string;

test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  const job = await call(sys.url, 'POST', '/api/jobs', {
    token: admin,
    json: {
      name: JOB,
      description: MARKDOWN,
      parameters: [
        { type: 'string', name: 'PAYLOAD', default: HTML, description: HTML },
        { type: 'choice', name: 'PICK', choices: [HTML, 'plain'], description: HTML },
      ],
      steps: [{ type: 'shell', script: `#!/bin/sh\nprintf '%s\\n' '${HTML}' "$PAYLOAD"` }],
    },
  });
  if (job.status !== 201) throw new Error(job.text);
  const view = await call(sys.url, 'POST', '/api/views', { token: admin, json: { name: 'probe', description: HTML, jobs: [JOB], includeRegex: null } });
  if (view.status !== 201) throw new Error(view.text);
  const person = await call(sys.url, 'POST', '/api/users', { token: admin, json: { username: 'mallory', fullName: HTML, password: 'mallory-password' } });
  if (person.status !== 201) throw new Error(person.text);
});
test.after.always(async () => {
  await sys?.close();
});

/** Elements a payload would have created, anywhere in the page (locators pierce shadow roots). */
async function injected(page: Page): Promise<number> {
  const counts = await Promise.all(['img[src="x"]', 'iframe', 'a[href^="javascript:"]', 'jk-app script'].map((s) => page.locator(s).count()));
  return counts.reduce((a, b) => a + b, 0);
}

async function expectInert(t: ExecutionContext, page: Page, where: string) {
  t.is(await injected(page), 0, `${where}: no element came from a payload`);
  t.is(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, `${where}: no payload ran`);
}

test('names that could carry markup are refused, and the refusal is shown as text', async (t) => {
  t.is((await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: '<img src=x>' } })).status, 400);
  t.is((await call(sys.url, 'POST', '/api/agents', { token: admin, json: { name: '<b>x</b>', executors: 1 } })).status, 400);
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/new-item`);
  await page.fill('#name', '<img src=x onerror="window.__xss=6">');
  await page.getByRole('button', { name: 'OK' }).click();
  await page.locator('.field-error').first().waitFor();
  await expectInert(t, page, 'New Item');
  await page.goto(`${sys.url}/manage/nodes`);
  await page.getByRole('button', { name: 'New Node' }).click();
  await page.fill('#node-name', '<img src=x onerror="window.__xss=7">');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.locator('.field-error').first().waitFor();
  await expectInert(t, page, 'New Node');
  expectNoPageErrors(t, ui);
});

test('the job page: Markdown description without raw HTML or javascript: links; parameters form shows payloads as text', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/job/${encodeURIComponent(JOB)}/`);
  await page.locator('jk-markdown strong').getByText('bold').waitFor();
  t.true(await page.locator('jk-markdown').getByText('<img src=x onerror=', { exact: false }).isVisible(), 'raw HTML is shown as text');
  t.is(await page.locator('jk-markdown a').getByText('click me').count(), 1);
  t.notRegex((await page.locator('jk-markdown a').getByText('click me').getAttribute('href')) ?? '', /javascript:/i);
  await shot('21-xss-job');
  await expectInert(t, page, 'job page');
  await page.goto(`${sys.url}/job/${encodeURIComponent(JOB)}/build`);
  await page.locator('#p-PAYLOAD').waitFor();
  t.is(await page.locator('#p-PAYLOAD').inputValue(), HTML);
  t.is(await page.locator('#p-PICK option').first().textContent(), HTML);
  await shot('22-xss-build-form');
  await expectInert(t, page, 'build form');
  expectNoPageErrors(t, ui);
});

test('a build: parameter values and console output containing markup stay text', async (t) => {
  t.timeout(90_000);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await new Fleet(t, sys.master, admin).agent('xss-agent', { executors: 1 });
  await page.goto(`${sys.url}/job/${encodeURIComponent(JOB)}/build`);
  await page.locator('#p-PAYLOAD').fill(`${HTML} from the form`);
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await page.getByRole('link', { name: '#1', exact: true }).click();
  await until('the payload in the console', async () => (await page.locator('jk-console pre').innerText()).includes(`${HTML} from the form`), 30_000, 100);
  t.true((await page.locator('jk-console pre').innerText()).includes(`${HTML}\n`));
  t.true(await page.locator('td.value').getByText(`${HTML} from the form`).isVisible(), 'the parameter value is shown as text');
  await shot('23-xss-build');
  await expectInert(t, page, 'build page');
  expectNoPageErrors(t, ui);
});

test('a view on the dashboard, People and the view editor show payloads as text', async (t) => {
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  await page.goto(`${sys.url}/view/probe/`);
  await page.getByText(HTML).first().waitFor();
  await shot('24-xss-view');
  await expectInert(t, page, 'view');
  await page.goto(`${sys.url}/people`);
  await page.getByText(HTML).waitFor();
  await expectInert(t, page, 'people');
  await page.goto(`${sys.url}/view/probe/configure`);
  t.is(await page.locator('#view-description').inputValue(), HTML);
  await expectInert(t, page, 'view editor');
  expectNoPageErrors(t, ui);
});
