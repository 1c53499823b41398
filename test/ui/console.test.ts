/**
 * The build page's console in the real browser, through nginx: a log larger than the page keeps
 * is shown incrementally (the newest part, with a note of what was skipped), it follows the tail
 * while the person is at the bottom, and stays where they scrolled to otherwise.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

/** What jk-console keeps in the page (MAX_DOM_CHARS), plus the line being written. */
const PAGE_KEEPS = 1024 * 1024 + 64 * 1024;
const LINES = 120_000; // "line N of the big log" × 120,000 ≈ 3 MB: three times what the page keeps
let sys: UiSystem;
let admin: string;

test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  const job = await call(sys.url, 'POST', '/api/jobs', {
    token: admin,
    json: {
      name: 'big log',
      steps: [{ type: 'shell', script: `#!/bin/sh\nseq -f 'line %.0f of the big log' 1 ${LINES}\nfor i in $(seq 1 600); do echo "tick $i"; sleep 0.2; done` }],
    },
  });
  if (job.status !== 201) throw new Error(job.text);
});
test.after.always(async () => {
  await sys?.close();
});

const consoleState = (page: Page) => () =>
  page.locator('jk-console').evaluate((el) => {
    const root = el.shadowRoot!;
    const scroller = root.querySelector<HTMLElement>('.scroller')!;
    const text = root.querySelector('pre')!.textContent ?? '';
    return { chars: text.length, tail: text.slice(-200), head: text.slice(0, 200), bar: root.querySelector('.bar')?.textContent ?? '', fromBottom: scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight, scrollTop: scroller.scrollTop };
  });

test('a 3 MB console: the page holds only its newest part, follows the tail, stays put when scrolled up', async (t) => {
  t.timeout(120_000);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  const state = consoleState(page);
  await new Fleet(t, sys.master, admin).agent('console-agent', { executors: 1 });
  const { body } = await call(sys.url, 'POST', '/api/jobs/big%20log/builds', { token: admin, json: {} });
  await until('the build to start', async () => (await call(sys.url, 'GET', `/api/queue/${body.queueId}`, { token: admin })).body.build?.number === 1, 20_000, 50);
  await page.goto(`${sys.url}/job/big%20log/1/`);

  await until('the big part and the first ticks', async () => /tick \d+\n/.test((await state()).tail), 60_000, 100);
  const following = await state();
  t.true(following.chars <= PAGE_KEEPS, `the page holds ${following.chars} characters`);
  t.regex(following.bar, /Skipping about \d/, 'says that earlier output is not shown');
  t.false(following.head.includes('line 1 of the big log\n'), 'the oldest lines left the page');
  t.true(following.fromBottom < 60, 'at the bottom while following');
  await shot('30-console-big');

  // Scrolled up: new lines arrive, the view stays where the person put it.
  await page.locator('jk-console .scroller').evaluate((s) => (s.scrollTop = 1000));
  const lastTick = async () => [...(await state()).tail.matchAll(/tick (\d+)/g)].at(-1)?.[1];
  const before = await lastTick();
  await until('more ticks', async () => (await lastTick()) !== before, 10_000, 100);
  t.is((await state()).scrollTop, 1000, 'the view did not jump to the tail');

  // Back at the bottom, it follows again, to the end (an abort: the ticks would go on for 2 minutes).
  await page.locator('jk-console .scroller').evaluate((s) => (s.scrollTop = s.scrollHeight));
  const resumedAt = await lastTick();
  await until('more ticks', async () => (await lastTick()) !== resumedAt, 10_000, 100);
  t.true((await state()).fromBottom < 60, 'following again');
  await call(sys.url, 'POST', '/api/jobs/big%20log/builds/1/abort', { token: admin });
  await until('Finished: ABORTED', async () => /Finished: ABORTED\n?$/.test((await state()).tail), 30_000, 100);
  const end = await state();
  t.true(end.chars <= PAGE_KEEPS);
  t.true(end.fromBottom < 60, 'followed the tail to the end');

  // "View as plain text" has all of it.
  const plain = await call(sys.url, 'GET', '/api/jobs/big%20log/builds/1/log', { token: admin });
  t.true(plain.text.includes('line 1 of the big log\n') && plain.text.includes(`line ${LINES} of the big log\n`));
  expectNoPageErrors(t, ui);
});
