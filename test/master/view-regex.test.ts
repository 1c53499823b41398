/**
 * A list view's includeRegex is matched by RE2 (linear time): patterns that make a backtracking
 * engine exponential are either matched quickly or, when RE2 lacks the feature (backreferences,
 * lookarounds), refused with a 400 that says why. The case: `((a+)+)\2b` against a job
 * named `aaaa…-` held the master's event loop for 16 s.
 */
import test from 'ava';
import { sql } from 'slonik';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { EVENT_LOOP_BOUND_MS, blockingMs } from '../helpers/event-loop.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
const victim = `${'a'.repeat(100)}-`;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  for (const name of [victim, 'api-build', 'web-build', 'Docs']) {
    const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name } });
    if (res.status !== 201) throw new Error(`job ${name}: ${res.status} ${res.text}`);
  }
});
test.after.always(() => m?.close());

const post = (json: unknown) => call(m.url, 'POST', '/api/views', { token: admin, json });
const jobsIn = async (view: string) => {
  const res = await call(m.url, 'GET', `/api/jobs?view=${encodeURIComponent(view)}`, { token: admin });
  if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
  return (res.body.jobs as { name: string }[]).map((j) => j.name);
};

for (const [pattern, why] of [
  ['((a+)+)\\2b', /backreferences/],
  ['(a)\\1', /backreferences/],
  ['(?<x>a)\\k<x>', /backreferences/],
  ['a(?=b)', /lookahead or lookbehind/],
  ['(?<!x)a', /lookahead or lookbehind/],
] as const) {
  test(`includeRegex ${pattern} is refused with a 400 saying RE2 has no such feature`, async (t) => {
    const { result: res, heldMs } = await blockingMs(() => post({ name: 'refused', includeRegex: pattern }));
    t.is(res.status, 400, res.text);
    t.is(res.body.error.details[0].field, 'includeRegex');
    t.regex(res.body.error.message, why);
    t.regex(res.body.error.message, /linear time/);
    t.true(heldMs <= EVENT_LOOP_BOUND_MS, `event loop held ${heldMs.toFixed(0)} ms`);
  });
}

test('a pattern too large once its repetitions are expanded is refused before it is compiled', async (t) => {
  const { result: res, heldMs } = await blockingMs(() => post({ name: 'huge', includeRegex: '\\p{L}{999}'.repeat(20) }));
  t.is(res.status, 400, res.text);
  t.regex(res.body.error.message, /includeRegex: is too complex/);
  t.true(heldMs <= EVENT_LOOP_BOUND_MS, `event loop held ${heldMs.toFixed(0)} ms`);
});

// Serial (not for shared data: each makes its own views): they time many requests on this
// process's event loop, where the master runs, and a concurrent test's work would count against them.
test.serial('patterns that backtrack exponentially elsewhere match in linear time, and correctly', async (t) => {
  const cases: [string, string[]][] = [
    ['(a+)+b', []],
    ['(a|aa)+-', [victim]],
    ['(a*)*(a*)*(a*)*-', [victim]],
    ['(.*a){20}', []],
    ['(.*a){20}-', [victim]],
    ['(?i)(API|WEB)-.*', ['api-build', 'web-build']],
  ];
  for (const [i, [includeRegex, expected]] of cases.entries()) {
    const created = await post({ name: `fast-${i}`, includeRegex });
    t.is(created.status, 201, created.text);
    const { result: names, heldMs } = await blockingMs(() => jobsIn(`fast-${i}`));
    t.deepEqual(names, expected, includeRegex);
    t.true(heldMs <= EVENT_LOOP_BOUND_MS, `${includeRegex}: event loop held ${heldMs.toFixed(0)} ms`);
  }
});

test.serial('a backreference stored before RE2 matches no job, and neither freezes nor breaks the job list', async (t) => {
  // As an older master accepted it: straight into the table.
  await m.pool.query(sql.unsafe`INSERT INTO views (name, description, include_regex) VALUES ('stored-evil', '', ${'((a+)+)\\2b'})`);
  const { result: names, heldMs } = await blockingMs(async () => {
    const [list, health] = await Promise.all([jobsIn('stored-evil'), call(m.url, 'GET', '/healthz')]);
    t.is(health.status, 200);
    return list;
  });
  t.deepEqual(names, []);
  t.true(heldMs <= EVENT_LOOP_BOUND_MS, `event loop held ${heldMs.toFixed(0)} ms`);
});
