/**
 * The console as a terminal, in the real browser through nginx with the master's strict
 * Content-Security-Policy: SGR colours and styles (16, 256 and 24-bit) are styled text, never
 * HTML; `\r` overwrites the line as a terminal would (the stored bytes stay exact); each line's
 * time shows with the Timestamps toggle — and nothing is blocked by the policy.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { Fleet } from '../helpers/fleet.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
const SCRIPT = String.raw`#!/bin/sh
printf '\033[31mred\033[0m \033[1;32mbold green\033[0m \033[38;5;208morange\033[0m \033[38;2;10;20;30;48;2;200;100;50mtruecolour\033[0m\n'
printf 'progress 10%%\rprogress 50%%\rprogress 100%%\n'
printf 'abcdef\rXY\n'
printf 'wait\r\033[Kerased\r\n'
printf '<b>not html</b> \033[7minverse\033[27m \033[4;9;3munder\033[0m\n'
echo done`;

test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  const job = await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'colours', steps: [{ type: 'shell', script: SCRIPT }] } });
  if (job.status !== 201) throw new Error(job.text);
});
test.after.always(async () => {
  await sys?.close();
});

/** What the console shows: its lines without the (hidden or shown) times, and each styled span. */
const shownIn = (page: Page) => () =>
  page.locator('jk-console').evaluate((el) => {
    const pre = el.shadowRoot!.querySelector('pre')!;
    const copy = pre.cloneNode(true) as HTMLElement;
    for (const ts of copy.querySelectorAll('.ts')) ts.remove();
    const spans = [...pre.querySelectorAll('span:not(.ts)')].filter((s) => s.children.length === 0 && s.textContent).map((s) => {
      const c = getComputedStyle(s);
      return { text: s.textContent!, classes: s.className, color: c.color, background: c.backgroundColor, weight: c.fontWeight, decoration: c.textDecorationLine, italic: c.fontStyle };
    });
    const times = [...pre.querySelectorAll('.ts')].map((s) => ({ text: s.textContent!, visible: getComputedStyle(s).display !== 'none' }));
    return { text: copy.textContent ?? '', spans, times, elements: [...pre.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()) };
  });

test('colours and styles are styled text, \\r overwrites as in a terminal, times show on demand; no CSP violation', async (t) => {
  t.timeout(90_000);
  const ui = await sys.session(t, admin);
  const { page, shot } = ui;
  const shown = shownIn(page);
  await new Fleet(t, sys.master, admin).agent('terminal-agent', { executors: 1 });
  const { body } = await call(sys.url, 'POST', '/api/jobs/colours/builds', { token: admin, json: {} });
  await until('the build to start', async () => (await call(sys.url, 'GET', `/api/queue/${body.queueId}`, { token: admin })).body.build?.number === 1, 30_000, 100);
  await until('the build to finish', async () => (await call(sys.url, 'GET', '/api/jobs/colours/builds/1', { token: admin })).body.result === 'SUCCESS', 30_000, 100);
  await page.goto(`${sys.url}/job/colours/1/`);
  await until('the whole console', async () => (await shown()).text.includes('Finished: SUCCESS'), 20_000, 100);
  const view = await shown();
  const span = (text: string) => {
    const s = view.spans.find((x) => x.text === text);
    if (!s) throw new Error(`no span '${text}' in ${JSON.stringify(view.spans)}`);
    return s;
  };

  t.false(view.text.includes('\x1b'), 'no escape codes are shown');
  t.like(span('red'), { classes: 'f1', color: 'rgb(204, 0, 0)' });
  t.like(span('bold green'), { weight: '700', color: 'rgb(78, 154, 6)' });
  t.like(span('orange'), { classes: 'f208', color: 'rgb(255, 135, 0)' });
  t.like(span('truecolour'), { color: 'rgb(10, 20, 30)', background: 'rgb(200, 100, 50)' }); // set through the CSSOM
  t.like(span('inverse'), { color: 'rgb(17, 24, 32)', background: 'rgb(216, 222, 230)' }); // the console's colours swapped
  t.like(span('under'), { italic: 'italic', decoration: 'underline line-through' });
  t.true(view.text.includes('\n<b>not html</b> inverse under\n'), 'markup in the log is text');
  t.false(view.elements.includes('b'));
  t.true(view.text.includes('\nprogress 100%\n'), 'the last \\r rewrite is what shows');
  t.false(view.text.includes('progress 10%'));
  t.true(view.text.includes('\nXYcdef\n'), 'a shorter rewrite overwrites from column 0 only');
  t.true(view.text.includes('\nerased\n'), 'ESC[K erased the rest; \\r\\n is a newline');

  // The stored bytes are exactly what the step wrote.
  const plain = (await call(sys.url, 'GET', '/api/jobs/colours/builds/1/log', { token: admin })).text;
  t.true(plain.includes('progress 10%\rprogress 50%\rprogress 100%\n') && plain.includes('\x1b[38;2;10;20;30;48;2;200;100;50mtruecolour'));

  // Timestamps: not drawn until asked, then one HH:MM:SS per line, and remembered.
  t.deepEqual(view.times, []);
  await shot('31-console-colours');
  await page.locator('jk-console input.timestamps').check();
  const lines = view.text.split('\n').length - 1;
  const timed = async () => (await shown()).times.filter((x) => x.visible && /^\d\d:\d\d:\d\d $/.test(x.text)).length;
  await until('a time on every line', async () => (await timed()) === lines, 5000, 50);
  t.is((await shown()).text, view.text, 'the times are not part of the text');
  await shot('32-console-timestamps');
  await page.reload();
  await until('the console again', async () => (await shown()).text.includes('Finished: SUCCESS'), 20_000, 100);
  t.is(await timed(), lines, 'the toggle is remembered');
  await page.locator('jk-console input.timestamps').uncheck();
  t.deepEqual((await shown()).times, []);
  expectNoPageErrors(t, ui);
});
