import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

test('malformed JSON is a 400 with the error shape, never a 500', async (t) => {
  const res = await call(m.url, 'POST', '/api/agents', { token: admin, raw: '{"name": "x",' });
  t.is(res.status, 400);
  t.is(res.body.error.code, 'bad_request');
  t.regex(res.body.error.message, /Malformed JSON/);
});

test('a JSON body that is not an object is a 400', async (t) => {
  for (const raw of ['[]', '"text"', '42', 'null']) {
    t.is((await call(m.url, 'POST', '/api/agents', { token: admin, raw })).status, 400, raw);
  }
});

test('an oversized body is refused with 413', async (t) => {
  const res = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'big', executors: 1, description: 'x'.repeat(2 * 1024 * 1024) } });
  t.is(res.status, 413);
  t.is(res.body.error.code, 'payload_too_large');
});

test('a wrong field type names the field and says why', async (t) => {
  const res = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'typed', executors: 'two' } });
  t.is(res.status, 400);
  t.is(res.body.error.details[0].field, 'executors');
  t.regex(res.body.error.message, /executors: /);
});

test('unknown resources are JSON 404s and wrong methods 405s', async (t) => {
  const missing = await call(m.url, 'GET', '/api/agents/nope', { token: admin });
  t.is(missing.status, 404);
  t.is(missing.body.error.code, 'not_found');
  const route = await call(m.url, 'GET', '/api/nothing-here', { token: admin });
  t.is(route.status, 404);
  const method = await call(m.url, 'PUT', '/api/whoami', { token: admin });
  t.is(method.status, 405);
  t.is(method.body.error.code, 'method_not_allowed');
});

test('the OpenAPI document describes the identity API', async (t) => {
  const res = await call(m.url, 'GET', '/api/openapi.json', { token: admin });
  t.is(res.status, 200);
  t.is(res.body.openapi, '3.1.0');
  for (const path of ['/login', '/login-slave', '/api/users', '/api/agents', '/api/token', '/api/whoami', '/api/settings/security', '/api/jobs', '/api/jobs/{name}/builds', '/api/jobs/{name}/builds/{ref}/log', '/api/queue', '/api/events', '/api/agent/builds/{id}/start', '/api/agent/builds/{id}/trigger', '/api/agent/builds/{id}/awaited']) {
    t.truthy(res.body.paths[path], path);
  }
  t.deepEqual(res.body.components.schemas.RegisterAgentRequest.required, ['name', 'executors']);
  t.deepEqual(res.body.components.schemas.Job.required, ['name']);
  t.truthy(res.body.components.schemas.AwaitedBuilds);
});
