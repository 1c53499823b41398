/**
 * /api/openapi.json is generated from the app's own routers and the shared schemas: every route
 * the routers have is documented, no entry outlives its route, and the schemas are the ones the
 * API validates with (a job's steps list each registered step kind).
 */
import test from 'ava';
import { documentationGaps } from '../../master/src/http/openapi.ts';
import { stepKindNames } from '../../shared/src/step-kinds.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let doc: any;
test.before(async () => {
  m = await startTestMaster();
  const admin = await bootstrapAdmin(m.url);
  doc = (await call(m.url, 'GET', '/api/openapi.json', { token: admin })).body;
});
test.after.always(() => m?.close());

test('every route the routers have is in the document, and every documented operation is a route', (t) => {
  const routes = m.services.routes;
  t.true(routes.length > 50, `${routes.length} routes`);
  t.deepEqual(documentationGaps(routes), { undocumented: [], unrouted: [] });
  for (const { method, path } of routes) {
    const op = doc.paths[path]?.[method];
    t.truthy(op, `${method.toUpperCase()} ${path} is in the document`);
    t.falsy(op?.['x-undocumented'], `${method.toUpperCase()} ${path} is described`);
  }
  const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).filter((k) => k !== 'parameters').map((method) => `${method} ${path}`));
  t.is(documented.length, new Set(routes.map((r) => `${r.method} ${r.path}`)).size);
});

test('path parameters are declared for every templated path', (t) => {
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    const named = [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();
    t.deepEqual((item.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort(), named, path);
  }
});

test("a job's steps are documented as one schema per registered step kind, the answers with the shared response schemas", (t) => {
  const steps = doc.components.schemas.Job.properties.steps.items;
  t.deepEqual(steps.oneOf.map((s: any) => s.properties.type.const), stepKindNames());
  t.deepEqual(steps.oneOf[0].required, ['type', 'script']);
  t.deepEqual(doc.paths['/api/jobs'].get.responses[200].content['application/json'].schema.properties.jobs.items, { $ref: '#/components/schemas/JobSummary' });
  t.truthy(doc.components.schemas.AgentLoginRequest.properties.protocolVersion);
  t.truthy(doc.components.schemas.Build.properties.estimatedDurationMs);
});
