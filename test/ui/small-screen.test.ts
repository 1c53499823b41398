/**
 * On a phone-sized screen every page fits its width (nothing to scroll sideways), and the
 * dashboard works from the keyboard alone: Tab reaches a job, Enter opens it.
 */
import test from 'ava';
import { Fleet, builds } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

const JOB = 'a job with a rather long name that must wrap on a phone';
const job = encodeURIComponent(JOB);
let sys: UiSystem;
let admin: string;

test.before(async () => {
  sys = await startUiSystem({ width: 390, height: 844 });
  admin = await bootstrapAdmin(sys.url);
  const created = await call(sys.url, 'POST', '/api/jobs', {
    token: admin,
    json: {
      name: JOB,
      description: 'Builds **everything**, with a [link](https://example.com/a/very/long/path/that/should/wrap/instead/of/overflowing).',
      parameters: [{ type: 'string', name: 'WHO', default: 'world' }],
      steps: [{ type: 'shell', script: 'echo "a long console line that goes on and on: $(seq -s , 1 200)"' }],
    },
  });
  if (created.status !== 201) throw new Error(created.text);
});
test.after.always(async () => {
  await sys?.close();
});

test('390 px wide: the dashboard, job, build, configure, manage and people pages fit the screen', async (t) => {
  t.timeout(90_000);
  const ui = await sys.session(t);
  const { page, shot } = ui;
  await new Fleet(t, sys.master, admin).agent('phone-agent', { executors: 1 });
  const api = builds(sys.master, admin);
  await api.finished(JOB, await api.numberOf(await api.trigger(JOB)));
  await page.goto(`${sys.url}/login`);
  await page.evaluate((token) => localStorage.setItem('jonkkins.token', token), admin);
  const pages: [string, string, string][] = [
    ['/', 'Build Executor Status', '40-phone-dashboard'],
    [`/job/${job}/`, 'Build History', '41-phone-job'],
    [`/job/${job}/1/`, 'Finished: SUCCESS', '42-phone-build'],
    [`/job/${job}/configure`, 'Build Steps', '43-phone-configure'],
    ['/manage/nodes', 'phone-agent', '44-phone-nodes'],
    ['/people', 'Last login', '45-phone-people'],
  ];
  for (const [path, text, name] of pages) {
    await page.goto(`${sys.url}${path}`);
    await page.getByText(text).first().waitFor({ timeout: 15_000 });
    await shot(name);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    t.true(scrollWidth <= innerWidth, `${path}: the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
  }
  expectNoPageErrors(t, ui);
});

test('the dashboard from the keyboard: Tab reaches the job, Enter opens it', async (t) => {
  const { page } = await sys.session(t, admin);
  await page.goto(`${sys.url}/`);
  await page.getByText(JOB).first().waitFor();
  const focused = () =>
    page.evaluate(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el ? `${el.tagName.toLowerCase()} ${el.textContent?.trim() ?? ''}` : '';
    });
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = (await focused()) === `a ${JOB}`;
  }
  t.true(reached, 'Tab reached the job link');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${sys.url}/job/${job}/`);
  await page.getByText('Build History').waitFor();
  t.pass();
});
