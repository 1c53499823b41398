import test from 'ava';
import { webRoot } from '../../master/src/server.ts';
import { call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
test.before(async () => {
  m = await startTestMaster({ staticDir: webRoot() });
});
test.after.always(() => m?.close());

test('the UI’s static files are served without a token, with a strict Content-Security-Policy', async (t) => {
  const page = await call(m.url, 'GET', '/');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  t.regex(page.text, /<title>Jonkkins<\/title>/);
  t.regex(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.is((await call(m.url, 'GET', '/jonkkins.css')).status, 200);
});

test('paths that try to leave the web folder are not served', async (t) => {
  for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc/passwd']) {
    const res = await call(m.url, 'GET', path);
    t.not(res.status, 200, path);
    t.false(res.text.includes('"name": "jonkkins"'), path);
  }
});

test('API paths are never answered by static files', async (t) => {
  t.is((await call(m.url, 'GET', '/api/users')).status, 401);
});
