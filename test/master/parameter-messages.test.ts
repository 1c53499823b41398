/**
 * What a person is told when a build's parameters or a job's name are refused: a boolean takes
 * true or false only (never silently false), a choice error lists the valid choices, and a name
 * clash names the existing job as it is spelled.
 */
import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  const job = await call(m.url, 'POST', '/api/jobs', { token: admin, json: {
    name: 'deploy', parameters: [{ type: 'boolean', name: 'DRY_RUN' }, { type: 'choice', name: 'TARGET', choices: ['staging', 'prod'] }],
  } });
  if (job.status !== 201) throw new Error(job.text);
});
test.after.always(() => m?.close());

const trigger = (parameters: Record<string, unknown>) => call(m.url, 'POST', '/api/jobs/deploy/builds', { token: admin, json: { parameters } });
const queued = async (queueId: number) => (await call(m.url, 'GET', `/api/queue/${queueId}`, { token: admin })).body.parameters;

test('a boolean parameter refuses anything but true or false, naming what it got', async (t) => {
  for (const [value, shown] of [['maybe', "'maybe'"], [1, '1'], ['', "''"], ['yes', "'yes'"], [null, 'null']] as const) {
    const res = await trigger({ DRY_RUN: value });
    t.is(res.status, 400, String(value));
    t.is(res.body.error.message, `Invalid value for parameter DRY_RUN: must be true or false, got ${shown}`);
    t.deepEqual(res.body.error.details, [{ field: 'parameters.DRY_RUN', message: `must be true or false, got ${shown}` }]);
  }
});

test('a boolean parameter takes true and false as booleans or as strings in any case', async (t) => {
  for (const [value, expected] of [[true, true], [false, false], ['TRUE', true], ['false', false], ['False', false]] as const) {
    const res = await trigger({ DRY_RUN: value });
    t.is(res.status, 201, String(value));
    t.is((await queued(res.body.queueId)).DRY_RUN, expected, String(value));
    await call(m.url, 'DELETE', `/api/queue/${res.body.queueId}`, { token: admin });
  }
});

test('a refused choice names the valid choices', async (t) => {
  const res = await trigger({ TARGET: 'qa' });
  t.is(res.status, 400);
  t.is(res.body.error.message, "Invalid value for parameter TARGET: 'qa' is not one of its choices: 'staging', 'prod'");
  t.is(res.body.error.details[0].field, 'parameters.TARGET');
});

test('a name clash names the existing job as it is spelled, on create and on rename', async (t) => {
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'Nightly-Build' } })).status, 201);
  const created = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'NIGHTLY-build' } });
  t.is(created.status, 409);
  t.is(created.body.error.message, "A job named 'Nightly-Build' already exists");
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'other' } })).status, 201);
  const renamed = await call(m.url, 'PUT', '/api/jobs/other', { token: admin, json: { name: 'nightly-BUILD' } });
  t.is(renamed.status, 409);
  t.is(renamed.body.error.message, "A job named 'Nightly-Build' already exists");
});
