/**
 * Every parser of user input, fuzzed through the real master's HTTP API: label expressions,
 * cron specs, job documents, parameters, build references, file paths and view regexes. Random
 * and adversarial inputs get a 2xx or a 4xx with a message — never a 500 — and no request holds
 * the master's event loop (this process: startTestMaster runs it in-process) past 100 ms.
 * A failure names its seed: FUZZ_SEED=<seed> replays it.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { bootstrapAdmin, call, type Reply } from '../helpers/http.ts';
import { EVENT_LOOP_BOUND_MS, blockingMs, fuzzSeed } from '../helpers/event-loop.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
const seed = fuzzSeed();
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'fz', parameters: [{ type: 'string', name: 'constructor' }, { type: 'choice', name: 'pick', choices: ['a', 'b'] }, { type: 'boolean', name: 'flag' }] } });
  if (res.status !== 201) throw new Error(res.text);
});
test.after.always(() => m?.close());

// The tests are serial, not for shared data (any one runs alone), but because each request's hold
// on the event loop is measured on this process's loop, where the master runs: a concurrent
// test's request would be counted against it.
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

/** The property of every answer: 2xx, or 4xx with a message; and (if `bounded`) the loop never held past the bound. */
async function answersWell(send: () => Promise<Reply>, bounded = true): Promise<void> {
  const { result: res, heldMs, maxDelayMs, cpuMs } = await blockingMs(send);
  const message = typeof res.body === 'object' && res.body !== null ? (res.body as { error?: { message?: unknown } }).error?.message : undefined;
  if (res.status >= 500 || (res.status >= 300 && !(res.status >= 400 && typeof message === 'string' && message.length > 0))) {
    throw new Error(`answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
  if (bounded && heldMs > EVENT_LOOP_BOUND_MS) throw new Error(`held the event loop ${maxDelayMs.toFixed(0)} ms, with ${cpuMs.toFixed(0)} ms of CPU (answer ${res.status})`);
}

/**
 * Random values of `arbitrary`, then the `adversarial` ones, then the `heavy` ones: bodies near the
 * 1 MB limit, whose JSON.parse alone takes that long on a machine under load (300 ms for 640 kB of
 * 50,000 keys at a load of 20 on 2 cores, 5 ms idle); for them only the answer is checked.
 */
async function check<T>(t: ExecutionContext, arbitrary: fc.Arbitrary<T>, send: (value: T) => Promise<Reply>, adversarial: T[] = [], heavy: T[] = []): Promise<void> {
  for (const [value, bounded] of [...adversarial.map((v) => [v, true] as const), ...heavy.map((v) => [v, false] as const)]) {
    await answersWell(() => send(value), bounded).catch((err: Error) => t.fail(`adversarial ${JSON.stringify(value).slice(0, 120)}: ${err.message}`));
  }
  const outcome = await fc.check(fc.asyncProperty(arbitrary, (value) => answersWell(() => send(value))), { seed, numRuns: RUNS });
  if (outcome.failed) t.fail(`seed ${seed} (FUZZ_SEED=${seed} replays it): ${fc.defaultReportMessage(outcome)?.slice(0, 3000)}`);
  else t.pass();
}

/** Text made of a grammar's pieces (so inputs get past the first character) mixed with anything. */
const pieces = (parts: string[], maxLength = 60) =>
  fc.oneof(fc.array(fc.oneof(fc.constantFrom(...parts), fc.string({ maxLength: 3 })), { maxLength }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 200 }));
const deep = (open: string, close: string, n: number, inner = 'a') => `${open.repeat(n)}${inner}${close.repeat(n)}`;
const hostile = ['\u0000', 'a\u0000b', '\ud800', '🦄'.repeat(2000), 'x'.repeat(100_000), '__proto__', 'constructor', '‮evil', ''];
const huge = 'x'.repeat(1_000_000);

const labels = pieces(['a', 'linux', '&&', '||', '!', '(', ')', '->', '<->', '"q x"', '"\\"', ' ', '-', "'"]);
test.serial('label expressions: create and update a job', (t) =>
  check(t, labels, (label) => call(m.url, 'PUT', '/api/jobs/fz', { token: admin, json: { name: 'fz', label } }), [
    deep('(', ')', 5000), deep('!(', ')', 3000), Array(6000).fill('a').join('||'), Array(3000).fill('!a').join(' && '), ...hostile,
  ], [huge]));

const crons = pieces(['H', '*', '/', '-', ',', '(', ')', '0', '7', '59', '31', ' ', '\t', '\n', '@daily', '@hourly', 'TZ=Europe/Paris\n', '# c\n', '2147483648']);
test.serial('cron specs: a job trigger and the preview', async (t) => {
  await check(t, crons, (cron) => call(m.url, 'PUT', '/api/jobs/fz', { token: admin, json: { name: 'fz', triggers: { cron } } }), [
    `${Array(20_000).fill('1').join(',')} * * * *`, Array(3000).fill('0 0 31 2 *').join('\n'), Array(99).fill('H H 31 2 *').join('\n'), ...hostile,
  ], [`${Array(200_000).fill('1').join(',')} * * * *`, huge]);
  await check(t, crons, (spec) => call(m.url, 'GET', `/api/cron/preview?job=fz&spec=${encodeURIComponent(spec)}`, { token: admin }), [Array(99).fill('0 0 31 2 *').join('\n'), 'TZ=Nowhere/City\n* * * * *']);
});

const regexes = pieces(['(', ')', 'a', '+', '*', '?', '|', '\\2', '\\1', '{999}', '{2,}', '[', ']', '\\p{L}', '(?=', '(?<', '(?i)', '.', '^', '$', '\\', '\\Q', '\\E', '-']);
test.serial('view regexes: create a view, then list its jobs', async (t) => {
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: `${'a'.repeat(120)}-` } })).status, 201);
  let n = 0;
  await check(t, regexes, async (includeRegex) => {
    const name = `v${n++}`;
    const created = await call(m.url, 'POST', '/api/views', { token: admin, json: { name, includeRegex } });
    return created.status === 201 ? call(m.url, 'GET', `/api/jobs?view=${name}`, { token: admin }) : created;
  }, ['((a+)+)\\2b', '(a+)+b', '(a|aa)+$', '(.*a){30}', '\\p{L}{999}'.repeat(50), 'a{999}'.repeat(100), deep('(', ')', 400), ...hostile], [huge]);
});

const jsonish = fc.jsonValue({ maxDepth: 6 });
const jobDocument = fc.record(
  {
    name: fc.oneof(fc.constant('fz'), fc.string({ maxLength: 140 })),
    description: fc.oneof(fc.string(), jsonish),
    label: fc.oneof(labels, jsonish),
    parameters: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('string', 'text', 'boolean', 'choice', 'password', 'file', 'x'), name: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'p'), fc.string()), choices: fc.array(fc.string()), default: jsonish }, { requiredKeys: ['type', 'name'] }), { maxLength: 4 }), jsonish),
    env: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'PATH'), fc.string({ maxLength: 10 })), fc.oneof(fc.string(), jsonish)), jsonish),
    steps: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('shell', 'copyArtifacts', 'triggerBuilds'), script: fc.string(), project: fc.string(), selector: jsonish, projects: fc.string() }, { requiredKeys: ['type'] }), { maxLength: 3 }), jsonish),
    triggers: fc.oneof(fc.record({ cron: crons, remoteToken: fc.string(), upstream: jsonish }, { requiredKeys: [] }), jsonish),
    timeoutMinutes: jsonish,
    extra: jsonish,
  },
  { requiredKeys: ['name'] },
);
test.serial('job documents: create and update, including raw and deeply nested JSON bodies', async (t) => {
  await check(t, jobDocument, (doc) => call(m.url, 'PUT', '/api/jobs/fz', { token: admin, json: doc }), [
    { name: 'fz', description: 'x'.repeat(200_000) }, { name: 'fz', env: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`V${i}`, 'x'])) },
    { name: 'fz', steps: Array(1000).fill({ type: 'shell', script: '' }) }, { name: 'fz', description: 'nul\u0000byte' }, { name: 'fz', env: { A: '\u0000' } },
  ], [{ name: 'fz', env: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`V${i}`, 'x'])) }, { name: 'fz', steps: Array(100_000).fill({ type: 'shell', script: '' }) }]);
  await check(t, fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.jsonValue({ maxDepth: 30 }).map((v) => JSON.stringify(v))), (raw) => call(m.url, 'POST', '/api/jobs', { token: admin, raw }), [
    `{"name":"d1","env":${deep('[', ']', 10_000)}}`, `{"name":"d2","description":${deep('{"a":', '}', 10_000, '1')}}`, '{"name":"d3","__proto__":{"admin":true}}', `{"name":"d4"${',"x":1'.repeat(5000)}}`,
  ], [`{"name":"d5","env":${deep('[', ']', 400_000)}}`, `{"name":"d6","description":${deep('{"a":', '}', 100_000, '1')}}`, `{"name":"d7"${',"x":1'.repeat(100_000)}}`]);
});

test.serial('parameters of a trigger', (t) =>
  check(t, fc.dictionary(fc.oneof(fc.constantFrom('constructor', 'pick', 'flag', 'toString', 'hasOwnProperty'), fc.string({ maxLength: 8 })), fc.oneof(fc.string(), fc.boolean(), jsonish), { maxKeys: 5 }), (parameters) =>
    call(m.url, 'POST', '/api/jobs/fz/builds', { token: admin, json: { parameters } }), [{ pick: 'c' }, { flag: deep('[', ']', 10_000) as never }], [{ constructor: 'x'.repeat(2_000_000) }, { flag: deep('[', ']', 100_000) as never }]));

const segment = fc.oneof(fc.constantFrom('..', '.', '', '__proto__', 'C:evil', '%00', 'a b', '~', '\u0000', 'x'.repeat(300), 'lastBuild', '1', '0', '-1', '1e3', '999999999999'), fc.string({ maxLength: 12 }));
const pathOf = (segments: string[]) => segments.map((s) => encodeURIComponent(s)).join('/');
test.serial('build references and file paths in URLs', async (t) => {
  const routes = ['', '/log', '/console', '/artifacts', '/artifacts.zip', '/artifacts/a.txt'];
  await check(t, fc.tuple(segment, fc.constantFrom(...routes)), ([ref, route]) => call(m.url, 'GET', `/api/jobs/fz/builds/${encodeURIComponent(ref)}${route}`, { token: admin }));
  await check(t, fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => call(m.url, 'PUT', `/api/jobs/fz/files/${pathOf(segments)}`, { token: admin, raw: 'bytes', headers: { 'content-type': 'application/octet-stream' } }), [['a'.repeat(2000)], Array(600).fill('d')]);
  await check(t, fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => call(m.url, 'GET', `/api/jobs/fz/builds/lastBuild/artifacts/${pathOf(segments)}`, { token: admin }));
});

// A URL carries well-formed text only (a lone surrogate cannot be percent-encoded): toWellFormed() below.
const trees = pieces(['jobs', 'name', 'color', '[', ']', ',', '{', '}', '0', '10', 'builds', 'allBuilds', 'lastBuild', '_class', '$', ' ']);
test.serial("Jenkins' tree= and depth= on api/json, and buildWithParameters' query", async (t) => {
  await check(t, trees, (tree) => call(m.url, 'GET', `/api/json?depth=1&tree=${encodeURIComponent(tree.toWellFormed())}`, { token: admin }), [
    // Within Node's 16 KB request line (a longer one is Node's 431 before any of ours runs).
    deep('a[', ']', 1500), deep('jobs[', ']', 33, 'name'), 'jobs[name]{999999999,}', 'jobs{', `${'a,'.repeat(2000)}a`, ...hostile.filter((h) => h.length < 3000),
  ]);
  await check(t, trees, (tree) => call(m.url, 'GET', `/job/fz/api/json?tree=${encodeURIComponent(tree.toWellFormed())}&depth=${tree.length % 7}`, { token: admin }));
  const query = fc.dictionary(pieces(['pick', 'flag', 'constructor', 'delay', 'token', 'json', '__proto__']), pieces(['a', 'b', 'true', 'TRUE', '0sec', '5', '{', '[]']), { maxKeys: 6 });
  await check(t, query, (q) => call(m.url, 'POST', `/job/fz/buildWithParameters?${new URLSearchParams(q as Record<string, string>)}&delay=0sec`, { token: admin, redirect: 'manual' }), [
    { pick: 'c' }, { flag: 'maybe' }, { constructor: 'x'.repeat(5000) }, { delay: '99999999999' },
  ]);
});
