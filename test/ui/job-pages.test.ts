/**
 * What the dashboard, job, build, history, configure and users pages say, in real Chromium through
 * the real nginx with a real agent: every build in Build History, a running job's ball, a progress
 * bar that matches the estimate (and no CSP violation drawing it), "Estimated" only while running,
 * the weather's sentence, Jenkins' trigger labels, an unclipped chart label, no permalinks before
 * the first build, and a refused demotion that leaves the drop-down as it was.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { builds, Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
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

async function signIn(page: Page) {
  await page.goto(`${sys.url}/login`);
  await page.evaluate((tk) => localStorage.setItem('jonkkins.token', tk), admin);
}

const trigger = async (job: string, parameters: Record<string, string> = {}) => {
  const res = await call(sys.url, 'POST', `/api/jobs/${encodeURIComponent(job)}/builds`, { token: admin, json: { parameters } });
  if (res.status !== 201) throw new Error(res.text);
  return builds(sys.master, admin).numberOf(res.body.queueId);
};

test('jobs, builds and what their pages say', async (t) => {
  t.timeout(240_000);
  const api = builds(sys.master, admin);
  await new Fleet(t, sys.master, admin).agent('pages-agent', { executors: 3 });
  await api.job('timed', { concurrentBuild: true, parameters: [{ type: 'string', name: 'SECS', default: '0' }], steps: [{ type: 'shell', script: 'sleep "$SECS"' }],
    publishers: [{ type: 'triggerBuilds', projects: 'never built', condition: 'FAILED' }] });
  await api.job('never built', {});
  await api.job('first run', { steps: [{ type: 'shell', script: 'sleep 300' }] });
  t.is((await api.finished('timed', await trigger('timed', { SECS: '8' }))).result, 'SUCCESS');
  t.is((await api.finished('timed', await trigger('timed', { SECS: '4' }))).result, 'SUCCESS');
  const ui = await sys.session(t);
  const { page, shot } = ui;
  await signIn(page);

  // Build History: both builds of 'timed', not just its latest.
  await page.goto(`${sys.url}/builds`);
  const history = page.locator('jk-history-page tbody tr', { hasText: 'timed' });
  await history.first().waitFor();
  t.deepEqual(await history.getByRole('link', { name: /^#\d+$/ }).allInnerTexts(), ['#2', '#1']);
  await shot('job-pages-01-history');

  // Weather after two builds counts two builds.
  await page.goto(`${sys.url}/`);
  const weather = page.locator('jk-job-table [role=row]', { hasText: 'timed' }).locator('.weather');
  await weather.waitFor();
  t.is(await weather.getAttribute('title'), 'Sunny: Build stability: No recent builds failed.');

  // A finished build shows no "Estimated" (it would be its own duration).
  await page.goto(`${sys.url}/job/timed/1/`);
  await page.locator('[data-result="SUCCESS"]').waitFor();
  t.is(await page.getByText('Estimated', { exact: true }).count(), 0);

  // A running build: its progress bar is as wide as its share of the estimate (about 6 s), drawn
  // without animation so what is measured is what was drawn.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  const running = await trigger('timed', { SECS: '60' });
  const firstRun = await trigger('first run');
  await page.goto(`${sys.url}/`);
  const bar = page.locator(`jk-executor-status jk-progress [role=progressbar]`).first();
  await bar.waitFor();
  const measure = () => bar.evaluate((track) => ({ pct: Number(track.getAttribute('aria-valuenow')), width: (track.firstElementChild as HTMLElement).getBoundingClientRect().width / track.getBoundingClientRect().width }));
  const early = await measure();
  t.true(early.pct < 99 && Math.abs(early.width * 100 - early.pct) <= 3, `bar ${Math.round(early.width * 100)}% wide at ${early.pct}% of the estimate`);
  await shot('job-pages-02-dashboard-running');

  // The running first build: "In progress", not "Never built"; the ball of a job whose last build succeeded stays green while it runs.
  const firstRunBall = page.locator('jk-job-table [role=row]', { hasText: 'first run' }).locator('.ball');
  t.is(await firstRunBall.getAttribute('aria-label'), 'In progress');
  t.is(await page.locator('jk-job-table [role=row]', { hasText: 'timed' }).locator('.ball').getAttribute('aria-label'), 'Success, building now');
  await page.goto(`${sys.url}/job/first%20run/${firstRun}/`);
  await page.locator('[data-result="running"]').waitFor();
  t.is(await page.locator('h1 .ball').getAttribute('aria-label'), 'In progress');
  await page.goto(`${sys.url}/job/timed/${running}/`);
  await page.locator('[data-result="running"]').waitFor();
  t.is(await page.getByText('Estimated', { exact: true }).count(), 1, 'a running build shows its estimate');
  await shot('job-pages-03-build-running');

  // The job page: the duration chart's label is whole (inside the chart, not stretched).
  await page.goto(`${sys.url}/job/timed/`);
  const label = page.locator('jk-duration-chart').getByText(/^max /);
  await label.waitFor();
  const chart = (await page.locator('jk-duration-chart').boundingBox())!;
  // The text's own extent (a Range), whether it is an HTML or an SVG element.
  const box = await label.evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const r = range.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  t.true(box.y >= chart.y && box.y + box.height <= chart.y + chart.height + 0.5, `label ${JSON.stringify(box)} inside the chart ${JSON.stringify(chart)}`);
  t.true(box.height < 30 && box.width < 200, `label not stretched: ${box.width}×${box.height}`);
  t.true(await page.getByRole('link', { name: /^Last successful build/ }).isVisible());
  await shot('job-pages-04-job');

  // A never-built job lists no permalinks (each would be a dead link).
  await page.goto(`${sys.url}/job/never%20built/`);
  await page.getByRole('heading', { name: 'Permalinks' }).waitFor();
  t.is(await page.getByRole('link', { name: /^Last / }).count(), 0);
  await shot('job-pages-05-never-built');

  // Configure: the trigger condition in Jenkins' words; no drop-down shows an internal name.
  await page.goto(`${sys.url}/job/timed/configure`);
  const condition = page.getByLabel('Trigger when build is');
  await condition.waitFor();
  t.is(await condition.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.text), 'Failed');
  t.deepEqual(await condition.evaluate((s: HTMLSelectElement) => [...s.options].map((o) => o.text)), [
    'Stable', 'Unstable', 'Stable or unstable but not failed', 'Unstable or Failed but not stable', 'Failed', 'Stable, unstable or failed, but not aborted', 'Complete (always trigger)',
  ]);
  const internal = await page.locator('select option').evaluateAll((os) => os.map((o) => o.textContent!.trim()).filter((x) => /^[A-Z]+(_[A-Z]+)+$/.test(x) || /^(string|text|boolean|choice|password|file)$/.test(x)));
  t.deepEqual(internal, []);
  await shot('job-pages-06-configure');

  await call(sys.url, 'POST', `/api/jobs/timed/builds/${running}/abort`, { token: admin });
  await call(sys.url, 'POST', `/api/jobs/first%20run/builds/${firstRun}/abort`, { token: admin });
  expectNoPageErrors(t, ui);
});

test('demoting the only admin is refused, and the drop-down shows the role the admin still has', async (t) => {
  const ui = await sys.session(t);
  const { page, shot } = ui;
  await signIn(page);
  await page.goto(`${sys.url}/manage/users`);
  const role = page.getByLabel('Role of admin');
  await role.waitFor();
  await role.selectOption('user');
  await page.locator('jk-toast div.error').waitFor();
  await until('the drop-down to go back to admin', async () => (await role.inputValue()) === 'admin', 5000, 50);
  t.is((await call(sys.url, 'GET', '/api/users/admin', { token: admin })).body.role, 'admin');
  await shot('job-pages-07-users');
  expectNoPageErrors(t, ui);
});
