import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { webRoot } from '../../master/src/server.ts';
import { call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
const dist = webRoot();
test.before(async () => {
  m = await startTestMaster({ staticDir: dist });
});
test.after.always(() => m?.close());

test('the built UI is served without a token, with a strict Content-Security-Policy and no caching of the page', async (t) => {
  t.truthy(dist, 'web/dist is built (npm install runs npm run build:web)');
  const page = await call(m.url, 'GET', '/');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  t.regex(page.text, /<title>Jonkkins<\/title>/);
  t.regex(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.is(page.headers.get('cache-control'), 'no-cache');
  t.notRegex(page.text, /<script>(?!<)/, 'no inline script');
});

test('hashed assets are cached for a year; UI routes get the page; missing files stay 404', async (t) => {
  const script = readdirSync(join(dist!, 'assets')).find((f) => f.endsWith('.js'))!;
  const asset = await call(m.url, 'GET', `/assets/${script}`);
  t.is(asset.status, 200);
  t.is(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  for (const route of ['/job/my%20job/', '/job/x/12/', '/manage/nodes', '/view/Team/']) {
    const res = await call(m.url, 'GET', route);
    t.is(res.status, 200, route);
    t.regex(res.text, /<jk-app>/, route);
  }
  t.not((await call(m.url, 'GET', '/assets/missing-123.js')).status, 200);
});

test('paths that try to leave the web folder are not served', async (t) => {
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc/passwd']) {
    const res = await call(m.url, 'GET', path);
    t.false(res.text.includes('"name": "jonkkins"'), path);
    t.false(res.text.includes('root:'), path);
  }
});

test('API paths are never answered by static files', async (t) => {
  t.is((await call(m.url, 'GET', '/api/users')).status, 401);
  t.is((await call(m.url, 'GET', '/api/jobs/x')).status, 401);
});
