/**
 * However a build ends — the agent finishes it, a person aborts it, its timeout passes, its agent
 * goes silent or starts again — the same events are published, only after the change committed,
 * in the same order, and the job's queue moves as the job allows (issue 15). The test speaks the
 * agent protocol itself and drives the lost-agent watchdog by hand (no timers to race).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import test from 'ava';
import { sql } from 'slonik';
import type { JonkkinsEvent } from '../../shared/src/events.ts';
import { agentLogin, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agentSecret: string;
let agent: string;
/** Events as published, each with whether a database transaction was open around the publish. */
const published: { event: JonkkinsEvent; inTransaction: boolean }[] = [];

test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agentSecret = (await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'lin', executors: 4 } })).body.secret;
  agent = await login();
  // Whether a publish happens inside a transaction: the pool's transactions run in a context.
  const inTx = new AsyncLocalStorage<boolean>();
  const transaction = m.pool.transaction.bind(m.pool);
  Object.assign(m.pool, { transaction: (fn: never) => inTx.run(true, () => transaction(fn)) });
  const events = m.services.events;
  const publish = events.publish.bind(events);
  events.publish = (event) => {
    published.push({ event, inTransaction: inTx.getStore() === true });
    publish(event);
  };
});
test.after.always(() => m?.close());

const login = async () => (await call(m.url, 'POST', '/login-slave', { json: agentLogin('lin', agentSecret) })).text;
const job = async (name: string, extra: object = {}) => {
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'shell', script: 'true' }], ...extra } });
  if (res.status !== 201) throw new Error(res.text);
};
const trigger = async (name: string) => (await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} })).body.queueId as number;
const agentCall = (method: string, path: string, json?: unknown) => call(m.url, method, path, { token: agent, json });
const state = async (id: number) => m.pool.oneFirst(sql.unsafe`SELECT state FROM builds WHERE id = ${id}`);
const onQueue = async (id: number) => (await m.services.queue.missing([{ id, label: '' }])).length === 0;

/** What a scenario's build published, named so that runs compare (ids differ between runs). */
function story(from: number, names: Record<number, string>, jobs: Record<string, string>) {
  return published.slice(from).map(({ event: e, inTransaction }) => {
    const who = 'queueId' in e ? names[e.queueId] : 'buildId' in e ? names[e.buildId] : 'job' in e ? jobs[e.job] : '';
    return `${e.type}${who ? ` ${who}` : ''}${inTransaction ? ' (inside the transaction!)' : ''}`;
  });
}

type Ending = (build: { id: number; job: string; logOffset: number }) => Promise<void>;
const finishWith = (result: string) => async (b: { id: number; logOffset: number }) => {
  const res = await agentCall('POST', `/api/agent/builds/${b.id}/finish`, { result, logSize: b.logOffset });
  if (res.status !== 200) throw new Error(`finish: ${res.status} ${res.text}`);
};

/**
 * A non-concurrent job `up`: build X runs, has queued `waited` (awaited by its blocking trigger
 * step), and the job's next build Y waits behind it; a publisher triggers `down` whatever the result.
 */
async function scenario(n: string, end: Ending) {
  const [up, waited, down] = [`up-${n}`, `waited-${n}`, `down-${n}`];
  await job(waited);
  await job(down);
  await job(up, {
    steps: [{ type: 'triggerBuilds', projects: waited, block: {} }],
    publishers: [{ type: 'triggerBuilds', projects: down, condition: 'ALWAYS' }],
  });
  const x = await trigger(up);
  const spec = (await agentCall('POST', `/api/agent/builds/${x}/start`, { executor: 0 })).body;
  const w = (await agentCall('POST', `/api/agent/builds/${x}/trigger`, { step: 0, resultSoFar: 'SUCCESS' })).body.triggered[0].queueId as number;
  const y = await trigger(up);
  const beforeEnd = { y: await onQueue(y), w: await onQueue(w) };
  const from = published.length;
  await end({ id: x, job: up, logOffset: spec.logOffset });
  const downBuild = await m.pool.maybeOneFirst(sql.unsafe`SELECT b.id FROM builds b JOIN jobs j ON j.id = b.job_id WHERE j.name = ${down}`);
  return {
    story: story(from, { [x]: 'X', [y]: 'Y', [w]: 'W', ...(downBuild ? { [Number(downBuild)]: 'D' } : {}) }, { [up]: 'up', [waited]: 'waited', [down]: 'down' }),
    beforeEnd,
    after: { x: await state(x), w: await state(w), y: await onQueue(y), wOnQueue: await onQueue(w) },
  };
}

const ENDED = ['build.log X', 'build.finished X', 'queue.changed', 'build.queued D', 'queue.changed'];

const endings: [string, Ending][] = [
  ['the agent finishes it', finishWith('FAILURE')],
  ['a person aborts it', async (b) => {
    await call(m.url, 'POST', `/api/jobs/${b.job}/builds/1/abort`, { token: admin });
    if (!(await agentCall('POST', `/api/agent/builds/${b.id}/ping`)).body.abort) throw new Error('the ping carried no abort');
    await finishWith('SUCCESS')(b);
  }],
  ['its timeout passes', async (b) => {
    await m.pool.query(sql.unsafe`UPDATE builds SET timeout_at = now() - interval '1 second' WHERE id = ${b.id}`); // the clock moved on
    if (!(await agentCall('POST', `/api/agent/builds/${b.id}/ping`)).body.abort) throw new Error('the ping carried no abort');
    await finishWith('ABORTED')(b);
  }],
  ['its agent goes silent', async (b) => {
    await m.pool.query(sql.unsafe`UPDATE builds SET agent_seen_at = now() - interval '1 minute' WHERE id = ${b.id}`); // silence
    if ((await m.services.agentBuilds.endLostBuilds(30_000)) !== 1) throw new Error('the watchdog ended nothing');
  }],
  ['its agent starts again (a new session)', async () => {
    agent = await login();
  }],
];

// Serial, and on purpose: each scenario reads the master's one event log from its own start on
// (`published.slice(from)`), so another's events would land in its story; and two endings act on the
// whole master (the watchdog ends every silent build, a new agent session voids the old one's builds).
for (const [i, [how, end]] of endings.entries()) {
  test.serial(`a build ends the same way when ${how}: the same events, after commit, in the same order; the queue moves as the job allows`, async (t) => {
    const r = await scenario(String(i), end);
    t.deepEqual(r.beforeEnd, { y: false, w: true }, 'a non-concurrent job keeps its next build off the queue while one runs');
    t.deepEqual(r.story, ENDED);
    t.deepEqual(r.after, { x: 'finished', w: 'cancelled', y: true, wOnQueue: false }, 'the awaited build left the queue; the job\'s next build is on it');
  });
}

test.serial('cancelling a queued build: it leaves the queue, viewers hear it after commit, and the job’s next build goes', async (t) => {
  await job('queued');
  const first = await trigger('queued');
  const next = await trigger('queued');
  t.deepEqual([await onQueue(first), await onQueue(next)], [true, false], 'a non-concurrent job has only its oldest queued build on the queue');
  const from = published.length;
  t.is((await call(m.url, 'DELETE', `/api/queue/${first}`, { token: admin })).status, 204);
  t.is(await state(first), 'cancelled');
  t.deepEqual(story(from, {}, {}), ['queue.changed']);
  t.deepEqual([await onQueue(first), await onQueue(next)], [false, true], 'the item left BullMQ and the next one took its place');
});
