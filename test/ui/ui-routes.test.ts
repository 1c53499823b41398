/**
 * Every path of the UI's router answers GET with the UI — through the real nginx (infra/nginx.conf)
 * and from the master itself — whatever a job or view name holds, while API paths keep answering
 * JSON. Reloading the login page shows the login page.
 */
import test from 'ava';
import { ROUTES } from '../../web/src/router.ts';
import { call } from '../helpers/http.ts';
import { startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
test.before(async () => {
  sys = await startUiSystem();
});
test.after.always(async () => {
  await sys?.close();
});

/** Names that look like files or paths to a naive server. */
const NAMES = ['hello', 'release.v1', 'notes.txt', 'a..b', 'my%20job', 'index.html', 'caf%C3%A9'];
const SAMPLES = [
  '/', '/login', '/login/', '/new-item', '/new-item/', '/builds', '/builds/', '/people', '/me/password', '/new-view', '/manage', '/manage/',
  ...['nodes', 'users', 'credentials', 'security', 'system', 'webhooks'].map((s) => `/manage/${s}`),
  ...NAMES.flatMap((n) => [`/view/${n}/`, `/view/${n}`, `/view/${n}/configure`]),
  ...NAMES.flatMap((n) => [`/user/${n}/`, `/user/${n}`]),
  ...NAMES.flatMap((n) => [`/job/${n}/`, `/job/${n}`, `/job/${n}/configure`, `/job/${n}/build/`, `/job/${n}/changes`, `/job/${n}/scmPollLog/`]),
  ...['12', 'lastBuild', 'lastCompletedBuild', 'lastSuccessfulBuild', 'lastStableBuild', 'lastUnstableBuild', 'lastFailedBuild', 'lastUnsuccessfulBuild'].flatMap((r) => [`/job/release.v1/${r}/`, `/job/a..b/${r}`, `/job/hello/${r}/console`]),
];

test('every route of the router has a sample here (a new page must be added to this test)', (t) => {
  for (const [re, page] of ROUTES) t.true(SAMPLES.some((s) => re.test(s)), `no sample path for ${re} (${page})`);
});

for (const [where, base] of [['nginx', () => sys.url], ['the master', () => sys.master.url]] as const) {
  test(`${where}: every UI path answers GET (Accept: text/html) with the UI`, async (t) => {
    const wrong: string[] = [];
    for (const path of SAMPLES) {
      const res = await call(base(), 'GET', path, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      if (res.status !== 200 || !/text\/html/.test(res.headers.get('content-type') ?? '') || !res.text.includes('<jk-app>')) wrong.push(`${path}: ${res.status} ${res.text.slice(0, 80)}`);
    }
    t.deepEqual(wrong, []);
  });

  test(`${where}: API paths keep answering JSON, and POST /login still logs in`, async (t) => {
    for (const path of ['/api/jobs', '/api/jobs/release.v1', '/api/whoami']) {
      const res = await call(base(), 'GET', path, { headers: { accept: 'text/html' } });
      t.is(res.status, 401, path);
      t.is(res.body.error.code, 'unauthorized', path);
    }
    const login = await call(base(), 'POST', '/login', { json: { username: 'nobody', password: 'wrong-password' } });
    t.is(login.status, 401);
    t.is(login.body.error.code, 'unauthorized');
    t.is((await call(base(), 'GET', '/assets/missing-0123.js')).status, 404, 'a missing script is not answered with the page');
  });
}

test('reloading the login page shows the login page, not the API\'s answer', async (t) => {
  const { page } = sys.ui;
  await page.goto(`${sys.url}/login`);
  await page.reload();
  await page.getByRole('heading', { name: /Create the admin account|Sign in|Log in/ }).waitFor();
  t.notRegex(await page.locator('body').innerText(), /Authentication required/);
});
