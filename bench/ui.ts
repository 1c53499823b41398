/**
 * `npm run bench` (second part): issue 5's numbers for the web UI, in Debian's headless Chromium
 * against a real `jonkkins master` serving the built UI, a private Redis and a fresh database:
 *   - total JavaScript of the built UI, gzipped (target ≤ 150 KB);
 *   - the home page with 1,000 jobs: navigation start → every row drawn and the main thread free
 *     (target ≤ 500 ms, median of 5 loads);
 *   - a build writing 100 MB of console watched live: the longest main-thread task and the p99
 *     gap between frames while it streams, how much text the page holds, and how long opening
 *     the finished build's page takes (target: no task over 250 ms, p99 frame gap ≤ 100 ms).
 * Like run.ts it prints a table and then JSON; a missed target is a finding (exit code 0).
 * Knobs: BENCH_UI_JOBS (1000), BENCH_UI_CONSOLE_BYTES (100000000), BENCH_DATABASE_URL.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { startHarness } from './harness.ts';
import { check, f, renderTable, type Check } from './report.ts';
import { summarize } from './stats.ts';
import { Cleanup, runBench } from './system.ts';

const env = process.env;
const JOBS = Number(env.BENCH_UI_JOBS ?? 1000);
const CONSOLE_BYTES = Number(env.BENCH_UI_CONSOLE_BYTES ?? 100_000_000);
const ADMIN_URL = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = new URL('../', import.meta.url).pathname;
const DIST = join(ROOT, 'web/dist');
const log = (m: string) => console.error(`bench ui: ${m}`);

function bundleSizes() {
  execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
  const assets = readdirSync(join(DIST, 'assets'));
  const size = (ext: string) => assets.filter((a) => a.endsWith(ext)).reduce((sum, a) => sum + gzipSync(readFileSync(join(DIST, 'assets', a)), { level: 9 }).length, 0);
  return { jsGzipBytes: size('.js'), cssGzipBytes: size('.css'), files: assets.length };
}

/** Navigation start (from a blank tab) → the 1,000th row is in the DOM and a frame plus a task later (the main thread is free). */
async function homeLoad(page: Page, url: string, rows: number): Promise<number> {
  // From a blank tab, as a person opening Jonkkins: not the tear-down of the previous 1,000 rows.
  await page.goto('about:blank');
  await page.goto(`${url}/`, { waitUntil: 'commit' });
  await page.waitForFunction((n) => {
    const table = document.querySelector('jk-app')?.shadowRoot?.querySelector('jk-home-page')?.shadowRoot?.querySelector('jk-job-table');
    return (table?.shadowRoot?.querySelectorAll('.body [role=row]').length ?? 0) >= n;
  }, rows, { polling: 'raf', timeout: 30_000 });
  return page.evaluate(() => new Promise<number>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now())))));
}

/** Records main-thread long tasks and frame gaps in the page until `stop()` is read back. */
async function startResponsivenessProbe(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __probe: { longTasks: number[]; gaps: number[]; running: boolean } };
    w.__probe = { longTasks: [], gaps: [], running: true };
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__probe.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
    let last = performance.now();
    const tick = (now: number) => {
      w.__probe.gaps.push(now - last);
      last = now;
      if (w.__probe.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  return async () =>
    page.evaluate(() => {
      const w = window as unknown as { __probe: { longTasks: number[]; gaps: number[]; running: boolean } };
      w.__probe.running = false;
      return { longTasks: w.__probe.longTasks, gaps: w.__probe.gaps };
    });
}

const consoleText = (page: Page) => page.evaluate(() => {
  const pre = document.querySelector('jk-app')?.shadowRoot?.querySelector('jk-build-page')?.shadowRoot?.querySelector('jk-console')?.shadowRoot?.querySelector('pre');
  return { chars: pre?.textContent?.length ?? 0, finished: /Finished: \w+\n?$/.test(pre?.textContent ?? '') };
});

async function main(cleanup: Cleanup) {
  const sizes = bundleSizes();
  log(`UI: ${f(sizes.jsGzipBytes / 1024)} KB of JavaScript gzipped`);
  const h = await startHarness(cleanup, { adminUrl: ADMIN_URL, log });
  const url = h.master!.url;
  log(`creating ${JOBS} jobs`);
  for (let i = 0; i < JOBS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, JOBS - i) }, (_, k) => h.api.json('POST', '/api/jobs', { name: `job-${String(i + k).padStart(4, '0')}`, description: `Job ${i + k}`, steps: [{ type: 'shell', script: 'true' }] })));
  }
  await h.createJob('big-console', 'ui', `yes 'Jonkkins console line: the quick brown fox jumps over the lazy dog 0123456789' | head -c ${CONSOLE_BYTES}`);
  await h.runAgent('agent-ui', 2, ['ui']);
  // Some history, so rows carry results and weather.
  for (let i = 0; i < Math.min(40, JOBS); i++) await h.api.trigger(`job-${String(i).padStart(4, '0')}`);

  const browser = await chromium.launch({ executablePath: env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'] });
  cleanup.add('chromium', () => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('crash', () => log('the page crashed'));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && log(`console: ${m.text()}`));
  await page.goto(`${url}/login`);
  await page.evaluate((token) => localStorage.setItem('jonkkins.token', token), h.api.token);

  log('home page with all jobs: 1 warm-up + 5 loads');
  await homeLoad(page, url, JOBS + 1);
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) loads.push(await homeLoad(page, url, JOBS + 1));
  const home = summarize(loads);

  log(`console: a build writing ${f(CONSOLE_BYTES / 1e6)} MB, watched live`);
  const queueId = await h.api.trigger('big-console');
  let number: number | null = null;
  for (let i = 0; i < 600 && number === null; i++) {
    const item = await h.api.json<{ build?: { number: number } | null }>('GET', `/api/queue/${queueId}`).catch(() => null);
    number = item?.build?.number ?? null;
    if (number === null) await new Promise((r) => setTimeout(r, 50));
  }
  if (number === null) throw new Error('the big-console build did not start within 30 s');
  await page.goto(`${url}/job/big-console/${number}/`);
  const stop = await startResponsivenessProbe(page);
  const t0 = Date.now();
  let peakChars = 0;
  for (;;) {
    const c = await consoleText(page);
    peakChars = Math.max(peakChars, c.chars);
    if (c.finished || Date.now() - t0 > 10 * 60_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const liveMs = Date.now() - t0;
  const probe = await stop();
  const gaps = summarize(probe.gaps);
  const longest = Math.max(0, ...probe.longTasks);
  const build = await h.api.json<{ logSize: number; result: string }>('GET', `/api/jobs/big-console/builds/${number}`);

  log('opening the finished build');
  const tOpen = Date.now();
  await page.goto(`${url}/job/big-console/${number}/`);
  await page.waitForFunction(() => {
    const pre = document.querySelector('jk-app')?.shadowRoot?.querySelector('jk-build-page')?.shadowRoot?.querySelector('jk-console')?.shadowRoot?.querySelector('pre');
    return /Finished: \w+/.test(pre?.textContent ?? '');
  }, undefined, { polling: 100, timeout: 60_000 });
  const openMs = Date.now() - tOpen;

  const checks: Check[] = [
    check('UI JavaScript, gzipped', Math.round(sizes.jsGzipBytes / 1024), 'KB', 'max', 150),
    check(`home page with ${JOBS} jobs interactive (median)`, Math.round(home.p50), 'ms', 'max', 500),
    check('100 MB console: longest main-thread task', Math.round(longest), 'ms', 'max', 250),
    check('100 MB console: p99 gap between frames', Math.round(gaps.p99), 'ms', 'max', 100),
  ];
  const sections = [
    { title: 'UI bundle (web/dist, gzip -9)', rows: [['JavaScript', `${f(sizes.jsGzipBytes / 1024)} KB`], ['CSS', `${f(sizes.cssGzipBytes / 1024)} KB`], ['files in assets/', String(sizes.files)]] as [string, string][] },
    { title: `Home page with ${JOBS} jobs (navigation → all rows drawn, main thread free)`, rows: [['loads', loads.map((l) => `${f(l)} ms`).join(', ')], ['median / max', `${f(home.p50)} / ${f(home.max)} ms`]] as [string, string][] },
    {
      title: `A build writing ${f(CONSOLE_BYTES / 1e6)} MB of console, watched live`,
      rows: [
        ['log stored', `${f(build.logSize / 1e6)} MB, ${build.result}`],
        ['page open → "Finished" shown', `${f(liveMs / 1000)} s`],
        ['frames / gap p50 / p90 / p99 / max', `${probe.gaps.length} / ${f(gaps.p50)} / ${f(gaps.p90)} / ${f(gaps.p99)} / ${f(gaps.max)} ms`],
        ['long tasks (> 50 ms) / longest', `${probe.longTasks.length} / ${f(longest)} ms`],
        ['console text held by the page (peak)', `${f(peakChars / 1e6)} M characters`],
        ['opening the finished build → "Finished" shown', `${f(openMs)} ms`],
      ] as [string, string][],
    },
  ];
  console.log(renderTable(sections, checks));
  console.log();
  console.log(JSON.stringify({ bundle: sizes, home: { loads, ...home }, console: { bytes: build.logSize, liveMs, frames: probe.gaps.length, gaps, longTasks: probe.longTasks.length, longestTaskMs: longest, peakChars, openFinishedMs: openMs }, targets: checks }, null, 2));
}

const cleanup = new Cleanup();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup.run().finally(() => process.exit(130)));
await runBench(cleanup, log, () => main(cleanup));
