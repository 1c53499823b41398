import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const post = (json: unknown) => call(m.url, 'POST', '/api/jobs', { token: admin, json });

test('a job is created with defaults filled in, listed, changed and deleted', async (t) => {
  const created = await post({ name: 'hello world', steps: [{ type: 'shell', script: 'echo hi' }] });
  t.is(created.status, 201);
  t.is(created.headers.get('location'), '/api/jobs/hello%20world');
  t.like(created.body, { name: 'hello world', disabled: false, label: '', concurrentBuild: false, quietPeriod: 0, timeoutMinutes: null, parameters: [] });
  const listed = await call(m.url, 'GET', '/api/jobs', { token: admin });
  t.like(listed.body.jobs.find((j: { name: string }) => j.name === 'hello world'), { status: 'NOT_BUILT', building: false, lastBuild: null, health: null });
  const changed = await call(m.url, 'PUT', '/api/jobs/hello%20world', { token: admin, json: { name: 'hello world', description: 'now described' } });
  t.is(changed.body.description, 'now described');
  t.is((await call(m.url, 'POST', '/api/jobs/hello%20world/disable', { token: admin })).body.disabled, true);
  const refused = await call(m.url, 'POST', '/api/jobs/hello%20world/builds', { token: admin, json: {} });
  t.is(refused.status, 409);
  t.regex(refused.body.error.message, /disabled/);
  t.is((await call(m.url, 'POST', '/api/jobs/hello%20world/enable', { token: admin })).body.disabled, false);
  t.is((await call(m.url, 'DELETE', '/api/jobs/hello%20world', { token: admin })).status, 204);
  t.is((await call(m.url, 'GET', '/api/jobs/hello%20world', { token: admin })).status, 404);
});

const invalid: [string, object, string][] = [
  ['a name with a slash', { name: 'a/b' }, 'name'],
  ['the name ..', { name: '..' }, 'name'],
  ['a 129-character name', { name: 'x'.repeat(129) }, 'name'],
  ['a broken label expression', { name: 'j1', label: 'linux &&' }, 'label'],
  ['an unknown step type', { name: 'j2', steps: [{ type: 'ant', targets: 'all' }] }, 'steps.0.type'],
  ['an unstableReturn of 0', { name: 'j3', steps: [{ type: 'shell', script: 'x', unstableReturn: 0 }] }, 'steps.0.unstableReturn'],
  ['a choice default outside its choices', { name: 'j4', parameters: [{ type: 'choice', name: 'C', choices: ['a'], default: 'b' }] }, 'parameters.0.default'],
  ['a duplicate parameter name', { name: 'j5', parameters: [{ type: 'string', name: 'P' }, { type: 'text', name: 'P' }] }, 'parameters.1.name'],
  ['a parameter name that is no variable name', { name: 'j6', parameters: [{ type: 'string', name: '1x' }] }, 'parameters.0.name'],
  ['an unknown field', { name: 'j7', colour: 'blue' }, ''],
  ['a negative quiet period', { name: 'j8', quietPeriod: -1 }, 'quietPeriod'],
];
for (const [what, doc, field] of invalid) {
  test(`a job with ${what} → 400 naming ${field || 'the document'}`, async (t) => {
    const res = await post(doc);
    t.is(res.status, 400);
    t.true(res.body.error.details.some((d: { field: string }) => d.field === field), JSON.stringify(res.body.error));
  });
}

test('job names are unique case-insensitively', async (t) => {
  t.is((await post({ name: 'Unique' })).status, 201);
  t.is((await post({ name: 'UNIQUE' })).status, 409);
});

test('a password parameter’s default is encrypted at rest and never shown', async (t) => {
  const res = await post({ name: 'secretive', parameters: [{ type: 'password', name: 'TOKEN', default: 'hunter2-default' }] });
  t.is(res.body.parameters[0].default, '****');
  const stored = await m.pool.oneFirst(sql.type(z.object({ c: z.string() }))`SELECT config::text AS c FROM jobs WHERE name = 'secretive'`);
  t.false(stored.includes('hunter2-default'));
  // Saving the document back with the placeholder keeps the stored secret.
  await call(m.url, 'PUT', '/api/jobs/secretive', { token: admin, json: res.body });
  const again = await m.pool.oneFirst(sql.type(z.object({ c: z.string() }))`SELECT config::text AS c FROM jobs WHERE name = 'secretive'`);
  t.regex(again, /jk1:/);
});

test('a job names the jobs it triggers and the jobs that trigger it (upstreamProjects / downstreamProjects)', async (t) => {
  await post({ name: 'rel-lib', publishers: [{ type: 'buildOtherProjects', projects: 'rel-app, rel-missing' }] });
  await post({ name: 'rel-app', steps: [{ type: 'triggerBuilds', projects: 'Rel-Deploy', block: {} }], publishers: [{ type: 'triggerBuilds', projects: 'rel-notify' }] });
  await post({ name: 'Rel-Deploy' });
  await post({ name: 'rel-notify', triggers: { upstream: { projects: 'rel-lib' } } });
  await post({ name: 'rel-docs', triggers: { upstream: { projects: 'rel-app' } } });
  const get = async (name: string) => (await call(m.url, 'GET', `/api/jobs/${name}`, { token: admin })).body;
  t.like(await get('rel-app'), { upstreamProjects: ['rel-lib'], downstreamProjects: ['Rel-Deploy', 'rel-docs', 'rel-notify'] });
  t.like(await get('rel-lib'), { upstreamProjects: [], downstreamProjects: ['rel-app', 'rel-notify'] });
  t.like(await get('rel-notify'), { upstreamProjects: ['rel-app', 'rel-lib'], downstreamProjects: [] });
  t.like(await get('rel-deploy'), { upstreamProjects: ['rel-app'], downstreamProjects: [] });
});
