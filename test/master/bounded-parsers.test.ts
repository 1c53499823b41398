/**
 * Parsers of user input are bounded: a label expression of 6,000 `||` terms, 5,000 nested
 * parentheses, a cron list of 200,000 terms or a dockerBuild repository of half a megabyte get a
 * 400 that says which bound, never a stack overflow (a 500, or worse, accepted and failing later
 * for every agent). An expression stored before the bounds breaks neither the agents' work
 * config, nor the queue sweep, nor the queue.
 */
import test from 'ava';
import { sql } from 'slonik';
import { bootstrapAdmin, call, registeredAgentToken, type Reply } from '../helpers/http.ts';
import { EVENT_LOOP_BOUND_MS, blockingMs } from '../helpers/event-loop.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await registeredAgentToken(m.url, admin, { name: 'lin', executors: 1, labels: ['linux'] });
});
test.after.always(() => m?.close());

const createJob = (json: object) => call(m.url, 'POST', '/api/jobs', { token: admin, json });
const orTerms = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`).join(' || ');

/** Asserts a 400 on `field` whose message matches `message`, without holding the event loop. */
async function refused(t: import('ava').ExecutionContext, send: () => Promise<Reply>, field: string, message: RegExp) {
  const { result: res, heldMs } = await blockingMs(send);
  t.is(res.status, 400, res.text.slice(0, 300));
  t.is(res.body.error.details?.[0]?.field, field);
  t.regex(res.body.error.message, message);
  t.true(res.text.length < 2000, 'the message does not echo the whole input');
  t.true(heldMs <= EVENT_LOOP_BOUND_MS, `event loop held ${heldMs.toFixed(0)} ms`);
}

test('a label expression of 6,000 || terms is a 400 naming the bound', async (t) => {
  await refused(t, () => createJob({ name: 'wide', label: orTerms(6000) }), 'label', /longer than 4096 characters/);
  await refused(t, () => createJob({ name: 'wide', label: Array(600).fill('a').join('||') }), 'label', /more than 500 operators/);
  t.is((await createJob({ name: 'wide', label: orTerms(400) })).status, 201, 'a long list within the bounds is fine');
});

test('5,000 nested parentheses in a label expression are a 400, not a stack overflow', async (t) => {
  await refused(t, () => createJob({ name: 'deep', label: `${'('.repeat(5000)}a${')'.repeat(5000)}` }), 'label', /longer than 4096/);
  await refused(t, () => createJob({ name: 'deep', label: `${'('.repeat(1000)}a${')'.repeat(1000)}` }), 'label', /nested deeper than 50/);
  await refused(t, () => createJob({ name: 'deep', label: `${'!('.repeat(300)}a${')'.repeat(300)}` }), 'label', /more than 500 operators|nested deeper/);
  t.is((await createJob({ name: 'deep', label: `${'('.repeat(50)}linux${')'.repeat(50)}` })).status, 201);
});

test('a cron list of 200,000 terms is a 400 on create, update and preview', async (t) => {
  const spec = `${Array(200_000).fill('1').join(',')} * * * *`;
  await refused(t, () => createJob({ name: 'timer', triggers: { cron: spec } }), 'triggers.cron', /at most 4096 characters/);
  t.is((await createJob({ name: 'timer' })).status, 201);
  await refused(t, () => call(m.url, 'PUT', '/api/jobs/timer', { token: admin, json: { name: 'timer', triggers: { cron: spec } } }), 'triggers.cron', /at most 4096 characters/);
  // Long lists within the bound parse in a loop, not one stack frame per term.
  const list = `${Array(2000).fill('7').join(',')} * * * *`;
  t.is((await call(m.url, 'PUT', '/api/jobs/timer', { token: admin, json: { name: 'timer', triggers: { cron: list } } })).status, 200);
  const lines = Array(101).fill('H H * * *').join('\n');
  await refused(t, () => call(m.url, 'GET', `/api/cron/preview?spec=${encodeURIComponent(lines)}`, { token: admin }), 'spec', /at most 100 schedule lines/);
});

test('a label expression stored before the bounds breaks neither work config, sweep, queue nor other jobs', async (t) => {
  t.is((await createJob({ name: 'fine', label: 'linux' })).status, 201);
  t.is((await createJob({ name: 'stored-wide', label: 'linux' })).status, 201);
  const fine = (await call(m.url, 'POST', '/api/jobs/fine/builds', { token: admin, json: {} })).body.queueId as number;
  const wide = (await call(m.url, 'POST', '/api/jobs/stored-wide/builds', { token: admin, json: {} })).body.queueId as number;
  // What an older master accepted, written as it stored it.
  const label = orTerms(6000);
  await m.pool.query(sql.unsafe`UPDATE jobs SET config = jsonb_set(config, '{label}', to_jsonb(${label}::text)) WHERE name = 'stored-wide'`);
  await m.pool.query(sql.unsafe`UPDATE builds SET label = ${label} WHERE id = ${wide}`);

  const config = await call(m.url, 'GET', '/api/agent/work-config', { token: agent });
  t.is(config.status, 200, config.text.slice(0, 300));
  const expressions = (config.body.queues as { expression: string }[]).map((q) => q.expression);
  t.true(expressions.includes('linux'));
  t.false(expressions.includes(label), 'no agent is told about a queue none can serve');

  await t.notThrowsAsync(m.services.dispatcher.dispatch(), 'the queue sweep goes on');
  const queue = await call(m.url, 'GET', '/api/queue', { token: admin });
  t.is(queue.status, 200, queue.text.slice(0, 300));
  const why = (id: number) => queue.body.items.find((i: { id: number }) => i.id === id)?.why as string;
  t.regex(why(wide), /^No node can run it: Invalid label expression/);
  t.regex(why(fine), /linux/);
  t.is((await call(m.url, 'GET', '/api/jobs/fine', { token: admin })).status, 200, "another job's page still reads every job");
  const started = await call(m.url, 'POST', `/api/agent/builds/${wide}/start`, { token: agent, json: { executor: 0 } });
  t.is(started.status, 409, 'an agent asking for it anyway is refused, not a 500');
});

test('a dockerBuild step\'s repository, tag or registry url of half a megabyte is a 400 naming the bound, checked before any pattern', async (t) => {
  const step = (extra: object) => createJob({ name: 'huge-image', steps: [{ type: 'dockerBuild', repository: 'team/app', ...extra }] });
  await refused(t, () => step({ repository: `${'a-'.repeat(250_000)}A` }), 'steps.0.repository', /at most 255 characters/);
  await refused(t, () => step({ tags: [`${'a.'.repeat(250_000)}`] }), 'steps.0.tags.0', /at most 256 characters/);
  await refused(t, () => step({ registry: { url: `http://${'a.'.repeat(250_000)}!` } }), 'steps.0.registry.url', /at most 300 characters/);
  t.is((await step({ tags: ['$BUILD_NUMBER'] })).status, 201);
});
