import { randomUUID } from 'node:crypto';
import test from 'ava';
import { bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
/** Jobs every test may read; no test renames or deletes them. */
const FIXTURE_JOBS = ['api-build', 'api-deploy', 'web-build', 'Docs'];
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  for (const name of FIXTURE_JOBS) {
    const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name } });
    if (res.status !== 201) throw new Error(`job ${name}: ${res.status} ${res.text}`);
  }
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'bob', password: 'bob-password' } });
});
test.after.always(() => m?.close());

const as = (token: string) => ({
  get: (path: string) => call(m.url, 'GET', path, { token }),
  post: (path: string, json: unknown) => call(m.url, 'POST', path, { token, json }),
  put: (path: string, json: unknown) => call(m.url, 'PUT', path, { token, json }),
  del: (path: string) => call(m.url, 'DELETE', path, { token }),
});
const jobNames = (res: { body: { jobs: { name: string }[] } }) => res.body.jobs.map((j) => j.name);

test('a view is created with defaults, read back, listed by name, and deleted', async (t) => {
  const a = as(admin);
  const created = await a.post('/api/views', { name: 'Zeta view' });
  t.is(created.status, 201);
  t.is(created.headers.get('location'), '/api/views/Zeta%20view');
  t.deepEqual(created.body, { name: 'Zeta view', description: '', jobs: [], includeRegex: null });
  await a.post('/api/views', { name: 'alpha', description: 'first' });
  t.deepEqual((await a.get('/api/views/Zeta%20view')).body, created.body);
  t.deepEqual((await a.get('/api/views/zeta%20VIEW')).body.name, 'Zeta view', 'names are case-insensitive');
  const names = (await a.get('/api/views')).body.views.map((v: { name: string }) => v.name);
  t.deepEqual(names.filter((n: string) => n === 'alpha' || n === 'Zeta view'), ['alpha', 'Zeta view']);
  t.is((await a.del('/api/views/alpha')).status, 204);
  t.is((await a.del('/api/views/Zeta%20view')).status, 204);
  t.is((await a.get('/api/views/alpha')).status, 404);
  t.is((await a.del('/api/views/alpha')).status, 404);
});

test('any logged-in person manages views; without a token it is 401', async (t) => {
  const bob = as(await login(m.url, 'bob', 'bob-password'));
  t.is((await bob.post('/api/views', { name: 'bobs' })).status, 201);
  t.is((await bob.put('/api/views/bobs', { name: 'bobs', description: 'mine' })).status, 200);
  t.is((await bob.del('/api/views/bobs')).status, 204);
  t.is((await call(m.url, 'GET', '/api/views')).status, 401);
});

test('listed jobs are stored by their real names, sorted, without duplicates', async (t) => {
  const res = await as(admin).post('/api/views', { name: 'listed', jobs: ['web-build', 'API-BUILD', 'api-build'] });
  t.is(res.status, 201);
  t.deepEqual(res.body.jobs, ['api-build', 'web-build']);
});

test('membership is the listed jobs plus the jobs whose whole name matches includeRegex', async (t) => {
  const a = as(admin);
  t.is((await a.post('/api/views', { name: 'api', jobs: ['Docs'], includeRegex: 'api-.*' })).status, 201);
  t.deepEqual(jobNames(await a.get('/api/jobs?view=api')), ['api-build', 'api-deploy', 'Docs']);
  // Whole name, as in Jenkins: "build" alone matches no job, ".*build" matches two.
  await a.put('/api/views/api', { name: 'api', includeRegex: 'build' });
  t.deepEqual(jobNames(await a.get('/api/jobs?view=api')), []);
  await a.put('/api/views/api', { name: 'api', includeRegex: '.*build|x' });
  t.deepEqual(jobNames(await a.get('/api/jobs?view=api')), ['api-build', 'web-build']);
  // Other tests add and remove jobs of their own meanwhile: All is checked on the ones that stay.
  const fixtures = (res: Parameters<typeof jobNames>[0]) => jobNames(res).filter((n) => FIXTURE_JOBS.includes(n));
  t.deepEqual(fixtures(await a.get('/api/jobs?view=All')), fixtures(await a.get('/api/jobs')));
  t.is(fixtures(await a.get('/api/jobs?view=All')).length, FIXTURE_JOBS.length);
  t.is((await a.get('/api/jobs?view=nope')).status, 404);
});

test('renaming a job keeps it in its views; deleting a job drops it', async (t) => {
  const a = as(admin);
  const id = randomUUID().slice(0, 8);
  for (const name of [`old name ${id}`, `gone soon ${id}`]) t.is((await a.post('/api/jobs', { name })).status, 201);
  await a.post('/api/views', { name: 'follow', jobs: [`old name ${id}`, `gone soon ${id}`, 'Docs'] });
  t.is((await a.put(`/api/jobs/${encodeURIComponent(`old name ${id}`)}`, { name: `new name ${id}` })).status, 200);
  t.is((await a.del(`/api/jobs/${encodeURIComponent(`gone soon ${id}`)}`)).status, 204);
  t.deepEqual((await a.get('/api/views/follow')).body.jobs, ['Docs', `new name ${id}`]);
  t.deepEqual(jobNames(await a.get('/api/jobs?view=follow')), ['Docs', `new name ${id}`]);
});

test('PUT replaces the whole view and may rename it; a taken name is 409', async (t) => {
  const a = as(admin);
  await a.post('/api/views', { name: 'before', description: 'd', jobs: ['Docs'], includeRegex: 'web-.*' });
  await a.post('/api/views', { name: 'taken' });
  t.is((await a.put('/api/views/before', { name: 'TAKEN' })).status, 409);
  const renamed = await a.put('/api/views/before', { name: 'after', jobs: ['web-build'] });
  t.is(renamed.status, 200);
  t.deepEqual(renamed.body, { name: 'after', description: '', jobs: ['web-build'], includeRegex: null });
  t.is((await a.get('/api/views/before')).status, 404);
  t.is((await a.put('/api/views/before', { name: 'before' })).status, 404);
  // A change of case only is a rename of the same view, not a clash.
  t.is((await a.put('/api/views/after', { name: 'AFTER' })).body.name, 'AFTER');
});

test('view names are unique case-insensitively', async (t) => {
  const a = as(admin);
  t.is((await a.post('/api/views', { name: 'Unique' })).status, 201);
  const dup = await a.post('/api/views', { name: 'UNIQUE' });
  t.is(dup.status, 409);
  t.is(dup.body.error.code, 'conflict');
});

const invalid: [string, object, string][] = [
  ['the reserved name All', { name: 'All' }, 'name'],
  ['the reserved name all', { name: 'all' }, 'name'],
  ['a name with a slash', { name: 'a/b' }, 'name'],
  ['an empty name', { name: '' }, 'name'],
  ['no name', {}, 'name'],
  ['a regex that does not compile', { name: 'v1', includeRegex: 'api-(' }, 'includeRegex'],
  ['a regex of 1001 characters', { name: 'v2', includeRegex: 'a'.repeat(1001) }, 'includeRegex'],
  ['a regex that is not a string', { name: 'v3', includeRegex: 5 }, 'includeRegex'],
  ['a job that does not exist', { name: 'v4', jobs: ['Docs', 'no such job'] }, 'jobs.1'],
  ['a job name that cannot be one', { name: 'v5', jobs: ['a/b'] }, 'jobs.0'],
  ['an unknown field', { name: 'v6', columns: [] }, ''],
];
for (const [what, doc, field] of invalid) {
  test(`a view with ${what} → 400 naming ${field || 'the document'}`, async (t) => {
    const res = await as(admin).post('/api/views', doc);
    t.is(res.status, 400);
    t.true(res.body.error.details.some((d: { field: string }) => d.field === field), JSON.stringify(res.body.error));
  });
}

test('a regex of 1000 characters is accepted; PUT validates like POST', async (t) => {
  const a = as(admin);
  t.is((await a.post('/api/views', { name: 'long', includeRegex: 'a'.repeat(1000) })).status, 201);
  const bad = await a.put('/api/views/long', { name: 'long', includeRegex: '[' });
  t.is(bad.status, 400);
  t.is(bad.body.error.details[0].field, 'includeRegex');
});

test('a catastrophically backtracking regex does not freeze the master', async (t) => {
  const a = as(admin);
  const victim = `${'a'.repeat(60)}-`;
  t.is((await a.post('/api/jobs', { name: victim })).status, 201);
  t.is((await a.post('/api/views', { name: 'evil', includeRegex: '(a+)+b' })).status, 201);
  const res = await a.get('/api/jobs?view=evil');
  t.is(res.status, 200);
  t.deepEqual(jobNames(res), []);
  await a.del(`/api/jobs/${victim}`);
});

test('the view editor\'s preview: ?includeRegex= answers the jobs a view with it would add, whole name and case-sensitive as Jenkins; a bad one is a 400', async (t) => {
  const a = as(admin);
  t.deepEqual(jobNames(await a.get(`/api/jobs?includeRegex=${encodeURIComponent('api-.*')}`)).sort(), ['api-build', 'api-deploy']);
  t.deepEqual(jobNames(await a.get(`/api/jobs?includeRegex=${encodeURIComponent('docs')}`)), [], 'case-sensitive: "docs" is not "Docs"');
  t.deepEqual(jobNames(await a.get(`/api/jobs?includeRegex=${encodeURIComponent('build')}`)), [], 'the whole name, not a part');
  const bad = await a.get(`/api/jobs?includeRegex=${encodeURIComponent('(')}`);
  t.is(bad.status, 400);
  t.is(bad.body.error.details[0].field, 'includeRegex');
});
