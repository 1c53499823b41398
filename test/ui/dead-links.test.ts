/**
 * No dead links: on a system with jobs (parameters, artifacts, a relation), builds (success,
 * failure, one running, one never built), a view, an agent and two people, the test visits every
 * page of the UI it can reach from the dashboard, follows every link it finds (shadow roots
 * included) and clicks every button and script-driven link that does not change or delete
 * something, in real Chromium through the real nginx. Any 4xx/5xx response, failed download,
 * "Not found" page, error banner or browser console error fails it (the favicon excepted).
 * Nothing is listed by hand: pages, links and buttons are discovered.
 */
import test, { type ExecutionContext } from 'ava';
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

/** Buttons that change or delete something, or end the session: not clicked (other tests cover them). */
const MUTATING = /delete|remove|abort|disable|enable|regenerate|reset|log ?out|sign ?out|cancel|^✕$|^[↑↓]$|move|save|create|ok$|^build$/i;
/** Long-lived streams: never "finished", so not waited for. */
const STREAM = /\/api\/events|\/console(\?|$)/;

async function setUp(t: ExecutionContext) {
  const api = builds(sys.master, admin);
  await new Fleet(t, sys.master, admin).agent('crawler-agent', { executors: 3, labels: ['linux'] });
  t.is((await call(sys.url, 'POST', '/api/users', { token: admin, json: { username: 'bob', fullName: 'Bob Builder', password: 'bob-the-builder' } })).status, 201);
  await api.job('app build', {
    description: 'Builds **the app**. See [the docs](/builds).',
    parameters: [{ type: 'string', name: 'WHO', default: 'world' }, { type: 'boolean', name: 'LOUD' }, { type: 'choice', name: 'TARGET', choices: ['dev', 'prod'] }],
    steps: [{ type: 'shell', script: 'echo "hello $WHO"; mkdir -p dist; echo one > dist/a.txt; echo two > "dist/b c.txt"' }],
    publishers: [{ type: 'archiveArtifacts', artifacts: 'dist/**' }, { type: 'triggerBuilds', projects: 'flaky', condition: 'UNSTABLE_OR_BETTER' }],
  });
  await api.job('flaky', { steps: [{ type: 'shell', script: 'echo failing; exit 1' }] });
  await api.job('slow', { steps: [{ type: 'shell', script: 'echo working; sleep 300' }] });
  await api.job('never built', { scm: { type: 'git', url: 'https://git.example.invalid/never.git' } }); // its Recent Changes page, empty
  t.is((await call(sys.url, 'POST', '/api/credentials', { token: admin, json: { id: 'deploy-token', kind: 'secretText', secret: 'crawl-secret', description: 'Deploys', jobs: ['app*'] } })).status, 201);
  await api.job('with credentials', { credentialBindings: [{ type: 'secretText', credentialsId: 'deploy-token', variable: 'TOKEN' }], sshAgent: [] });
  t.is((await call(sys.url, 'POST', '/api/views', { token: admin, json: { name: 'Team', description: 'Our jobs', jobs: ['app build', 'flaky'], includeRegex: null } })).status, 201);
  t.is((await api.finished('app build', await api.numberOf(await api.trigger('app build')))).result, 'SUCCESS');
  await until('flaky #1 (triggered by app build) to fail', async () => (await call(sys.url, 'GET', '/api/jobs/flaky/builds/1', { token: admin })).body.result === 'FAILURE');
  const slow = await api.numberOf(await api.trigger('slow'));
  await until('slow to run', async () => (await api.get('slow', slow)).building === true);
}

interface Clickable {
  kind: 'a' | 'button';
  name: string;
  /** Where it is now, among the page's anchors and buttons. */
  index: number;
  /** The same control after a re-render: kind, name and how many alike came before it. */
  key: string;
}

interface Found {
  links: string[];
  clickables: Clickable[];
}

/** Every link and button of the page, shadow roots included, in document order. */
function discover(page: Page): Promise<Found> {
  return page.evaluate(() => {
    const links: string[] = [];
    const clickables: { kind: 'a' | 'button'; name: string; index: number; key: string }[] = [];
    const alike = new Map<string, number>();
    const keyOf = (kind: string, name: string) => {
      const n = alike.get(`${kind}|${name}`) ?? 0;
      alike.set(`${kind}|${name}`, n + 1);
      return `${kind}|${name}|${n}`;
    };
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.matches('a[href], button')) all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    all.forEach((el, index) => {
      const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim().replace(/\s+/g, ' ');
      if (el instanceof HTMLAnchorElement) {
        const scripted = el.getAttribute('href') === '#' || el.target !== '' || el.hasAttribute('download');
        if (scripted) clickables.push({ kind: 'a', name, index, key: keyOf('a', name) });
        else links.push(el.href);
      } else if (!(el as HTMLButtonElement).disabled && (el as HTMLButtonElement).type !== 'submit') clickables.push({ kind: 'button', name, index, key: keyOf('button', name) });
    });
    (window as unknown as { __crawl: Element[] }).__crawl = all;
    return { links, clickables };
  });
}

test('every page, link and button works: no 4xx/5xx, no dead link, no console error', async (t) => {
  t.timeout(600_000);
  await setUp(t);
  const { page, context } = sys.ui;
  const bad: string[] = [];
  let inFlight = 0;
  const watch = (p: Page) => {
    p.on('response', (r) => {
      if (r.status() >= 400 && !/\/favicon\.ico$/.test(r.url())) bad.push(`${r.status()} ${r.request().method()} ${r.url()} (on ${p.url()})`);
    });
    p.on('request', (r) => void (STREAM.test(r.url()) || inFlight++));
    p.on('requestfinished', (r) => void (STREAM.test(r.url()) || inFlight--));
    p.on('requestfailed', (r) => void (STREAM.test(r.url()) || inFlight--));
    p.on('download', async (d) => {
      const failure = await d.failure();
      if (failure) bad.push(`download ${d.url()} failed: ${failure}`);
    });
  };
  watch(page);
  const popups: Page[] = [];
  context.on('page', (p) => {
    popups.push(p);
    watch(p);
    p.on('console', (m) => void (m.type() === 'error' && sys.ui.errors.push(`console (popup ${p.url()}): ${m.text()}`)));
  });

  /** Waits until nothing is loading: no request in flight, no "Loading…" left. */
  const settled = async (p: Page) => {
    await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await until(`${p.url()} to settle`, async () => inFlight <= 0 && (await p.getByText('Loading…', { exact: true }).count()) === 0, 20_000, 50);
  };
  /** A page may not say it does not exist or that something failed. */
  const looksRight = async (p: Page, what: string) => {
    if (await p.getByRole('heading', { name: 'Not found', exact: true }).count()) bad.push(`${what}: the UI's "Not found" page`);
    for (const alert of await p.locator('.banner.error, [role=alert]').allInnerTexts()) if (alert.trim()) bad.push(`${what}: error shown: ${alert.trim()}`);
  };

  const token = (await call(sys.url, 'POST', '/login', { json: { username: 'admin', password: 'correct horse battery' } })).text;
  await page.goto(`${sys.url}/login`);
  await page.evaluate((tk) => localStorage.setItem('jonkkins.token', tk), token);

  const origin = new URL(sys.url).origin;
  const queue = ['/'];
  const seen = new Set(queue);
  let clicks = 0;
  while (queue.length > 0) {
    const path = queue.shift()!;
    t.true(seen.size < 200, 'the crawl stays bounded');
    await page.goto(`${sys.url}${path}`);
    await settled(page);
    await looksRight(page, path);
    const found = await discover(page);
    for (const href of found.links) {
      const url = new URL(href);
      if (url.origin !== origin) continue;
      const key = url.pathname + url.search;
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(key);
      }
    }
    // Clicks on the page as it is while they leave it there; a click that navigated, opened a
    // window or a dialog gets a fresh copy of the page for the next one.
    let fresh = true;
    for (const c of found.clickables) {
      if (MUTATING.test(c.name)) continue;
      if (!fresh) {
        await page.goto(`${sys.url}${path}`);
        await settled(page);
      }
      const now = await discover(page);
      const index = now.clickables.find((x) => x.key === c.key)?.index;
      if (index === undefined) continue; // only there after another click (a form it opened)
      const before = page.url();
      const popupsBefore = popups.length;
      await page.evaluate((i) => (window as unknown as { __crawl: HTMLElement[] }).__crawl[i]!.click(), index);
      clicks++;
      await settled(page);
      const what = `${path}: ${c.kind} "${c.name}"`;
      // Unchanged: same address, no window, no dialog, the same links and buttons (a click that
      // added a form or a parameter changed the page: the next click gets a fresh one).
      const after = page.url() === before ? await discover(page) : null;
      const same = (a: Found, b: Found) => a.links.join() === b.links.join() && a.clickables.map((x) => x.key).join() === b.clickables.map((x) => x.key).join();
      fresh = after !== null && same(now, after) && popups.length === popupsBefore && (await page.locator('dialog[open]').count()) === 0;
      if (page.url() !== before) {
        await looksRight(page, what);
        const to = new URL(page.url());
        if (to.origin === origin && !seen.has(to.pathname + to.search)) {
          seen.add(to.pathname + to.search);
          queue.push(to.pathname + to.search);
        }
      }
      for (const p of popups.slice(popupsBefore)) {
        await p.waitForLoadState('load');
        await settled(p);
        await looksRight(p, `${what} (its window)`);
        await p.close();
      }
    }
  }
  t.log(`${seen.size} pages, ${clicks} clicks`);
  t.true(seen.size >= 15, `the crawl reached the pages (${[...seen].join(', ')})`);
  for (const must of ['/job/app%20build/1/', '/job/slow/1/', '/job/never%20built/', '/view/Team/', '/manage/nodes', '/manage/credentials', '/job/with%20credentials/configure', '/builds', '/people']) t.true(seen.has(must), `reached ${must}`);
  t.deepEqual(bad, []);
  expectNoPageErrors(t, sys.ui);
});
