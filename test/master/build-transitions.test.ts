import test from 'ava';
import { IN_TRANSACTION, transition, type BuildEffect, type BuildEvent, type BuildStatus } from '../../master/src/builds/build-transitions.ts';

const queued: BuildStatus = { state: 'queued', result: null, abortResult: null, abortBy: null };
const running: BuildStatus = { state: 'running', result: null, abortResult: null, abortBy: null };
const finished: BuildStatus = { state: 'finished', result: 'SUCCESS', abortResult: null, abortBy: null };
const aborting: BuildStatus = { ...running, abortResult: 'ABORTED', abortBy: 'alice' };
const timedOut: BuildStatus = { ...running, abortResult: 'FAILURE', abortBy: 'timeout' };
const lost = (why: 'silent' | 'restarted' = 'silent'): BuildEvent => ({ type: 'agentLost', agent: 'lin', why });

const cases: [string, BuildStatus | null, BuildEvent, BuildStatus | 'refused'][] = [
  ['(new) + queue → queued', null, { type: 'queue' }, queued],
  ['queued + queue → refused (a row is queued once)', queued, { type: 'queue' }, 'refused'],
  ['queued + start → running', queued, { type: 'start' }, running],
  ['queued + cancel → cancelled, no result', queued, { type: 'cancel' }, { ...queued, state: 'cancelled' }],
  ['queued + abort → cancelled, who remembered', queued, { type: 'abort', by: 'alice' }, { ...queued, state: 'cancelled', abortBy: 'alice' }],
  ['queued + timeout → refused (only a running build times out)', queued, { type: 'timeout' }, 'refused'],
  ['running + start → refused (a build never starts twice)', running, { type: 'start' }, 'refused'],
  ['running + cancel → refused', running, { type: 'cancel' }, 'refused'],
  ['running + finish SUCCESS → SUCCESS', running, { type: 'finish', reported: 'SUCCESS' }, finished],
  ['running + finish UNSTABLE → UNSTABLE', running, { type: 'finish', reported: 'UNSTABLE' }, { ...finished, result: 'UNSTABLE' }],
  ['running + abort → still running, abort remembered', running, { type: 'abort', by: 'alice' }, aborting],
  ['running + timeout → still running, FAILURE remembered, by timeout', running, { type: 'timeout' }, timedOut],
  ['aborting + finish SUCCESS → ABORTED', aborting, { type: 'finish', reported: 'SUCCESS' }, { ...aborting, state: 'finished', result: 'ABORTED' }],
  ['timed out + finish ABORTED → FAILURE', timedOut, { type: 'finish', reported: 'ABORTED' }, { ...timedOut, state: 'finished', result: 'FAILURE' }],
  ['aborted, then timed out → the first abort decides', aborting, { type: 'timeout' }, aborting],
  ['timed out, then aborted → the timeout decides', timedOut, { type: 'abort', by: 'bob' }, timedOut],
  ['running + agent lost → FAILURE, never re-queued', running, lost(), { ...running, state: 'finished', result: 'FAILURE' }],
  ['running + agent restarted → FAILURE', running, lost('restarted'), { ...running, state: 'finished', result: 'FAILURE' }],
  ['aborting + agent lost → ABORTED', aborting, lost(), { ...aborting, state: 'finished', result: 'ABORTED' }],
  ['finished + finish → refused', finished, { type: 'finish', reported: 'FAILURE' }, 'refused'],
  ['finished + agent lost → refused', finished, lost(), 'refused'],
  ['finished + abort → refused', finished, { type: 'abort', by: 'alice' }, 'refused'],
  ['cancelled + start → refused', { ...queued, state: 'cancelled' }, { type: 'start' }, 'refused'],
  ['(none) + start → refused', null, { type: 'start' }, 'refused'],
  ['queued + refuse → FAILURE, no step run', queued, { type: 'refuse', why: 'ERROR: no credential\n' }, { ...queued, state: 'finished', result: 'FAILURE' }],
  ['running + refuse → refused (only a start can be refused)', running, { type: 'refuse', why: 'x' }, 'refused'],
];
for (const [name, from, event, expected] of cases) {
  test(name, (t) => {
    const r = transition(from, event);
    if (expected === 'refused') t.false(r.ok);
    else t.deepEqual(r.ok && r.next, expected);
  });
}

const effectsOf = (from: BuildStatus | null, event: BuildEvent): BuildEffect[] => {
  const r = transition(from, event);
  if (!r.ok) throw new Error(r.reason);
  return r.effects;
};
const names = (effects: BuildEffect[]) => effects.map((e) => (e.type === 'publish' ? e.event : e.type));
const ENDING = ['endAwaited', 'fireDownstream', 'footer', 'build.log', 'build.finished', 'dispatchJob', 'discard'];

test('finish, abort-then-finish, timeout-then-finish and agent lost end a build with the same effects, in the same order', (t) => {
  t.deepEqual(names(effectsOf(running, { type: 'finish', reported: 'SUCCESS' })), ENDING);
  t.deepEqual(names(effectsOf(aborting, { type: 'finish', reported: 'SUCCESS' })), ENDING);
  t.deepEqual(names(effectsOf(timedOut, { type: 'finish', reported: 'ABORTED' })), ENDING);
  t.deepEqual(names(effectsOf(running, lost())), ENDING);
  t.deepEqual(names(effectsOf(running, lost('restarted'))), ENDING);
});

test('the database effects come first: everything after them runs after commit', (t) => {
  for (const [from, event] of [[running, { type: 'finish', reported: 'SUCCESS' }], [running, lost()], [queued, { type: 'cancel' }], [null, { type: 'queue' }], [queued, { type: 'start' }], [queued, { type: 'refuse', why: 'x\n' }]] as const) {
    const effects = names(effectsOf(from, event));
    const firstAfter = effects.findIndex((e) => !IN_TRANSACTION.has(e as BuildEffect['type']));
    t.true(effects.slice(firstAfter).every((e) => !IN_TRANSACTION.has(e as BuildEffect['type'])), effects.join(', '));
  }
});

test('the footer says why a build ended and its result', (t) => {
  const footer = (from: BuildStatus, event: BuildEvent) => effectsOf(from, event).find((e) => e.type === 'footer');
  t.deepEqual(footer(running, { type: 'finish', reported: 'UNSTABLE' }), { type: 'footer', why: '', result: 'UNSTABLE' });
  t.deepEqual(footer(aborting, { type: 'finish', reported: 'SUCCESS' }), { type: 'footer', why: 'Aborted by alice\n', result: 'ABORTED' });
  t.deepEqual(footer(timedOut, { type: 'finish', reported: 'ABORTED' }), { type: 'footer', why: 'Build timed out. Marking the build as failed.\n', result: 'FAILURE' });
  t.deepEqual(footer(running, lost()), { type: 'footer', why: '\nFATAL: agent lost: lin stopped answering; the build is not run again\n', result: 'FAILURE' });
  t.like(footer(running, lost('restarted')), { why: '\nFATAL: agent lost: lin started again (a new session); the build is not run again\n', result: 'FAILURE' });
  t.like(effectsOf(running, { type: 'finish', reported: 'FAILURE' }).find((e) => e.type === 'fireDownstream'), { result: 'FAILURE' });
});

test('cancelling and aborting a queued build leave the queue the same way, and let the job\'s next build go', (t) => {
  const leave = ['unqueue', 'queue.changed', 'dispatchJob'];
  t.deepEqual(names(effectsOf(queued, { type: 'cancel' })), leave);
  t.deepEqual(names(effectsOf(queued, { type: 'abort', by: 'alice' })), leave);
});

test('queueing enqueues then tells viewers; starting tells viewers; an abort or timeout of a running build only records', (t) => {
  t.deepEqual(names(effectsOf(null, { type: 'queue' })), ['enqueue', 'build.queued', 'queue.changed']);
  t.deepEqual(names(effectsOf(queued, { type: 'start' })), ['build.started', 'queue.changed', 'build.log']);
  t.deepEqual(names(effectsOf(queued, { type: 'refuse', why: 'x\n' })), ['endAwaited', 'fireDownstream', 'footer', 'build.started', 'queue.changed', 'build.log', 'build.finished', 'dispatchJob', 'discard']);
  t.like(effectsOf(queued, { type: 'refuse', why: 'ERROR: why\n' }).find((e) => e.type === 'footer'), { why: 'ERROR: why\n', result: 'FAILURE' });
  t.deepEqual(effectsOf(running, { type: 'abort', by: 'alice' }), []);
  t.deepEqual(effectsOf(running, { type: 'timeout' }), []);
  t.deepEqual(effectsOf(aborting, { type: 'abort', by: 'bob' }), []);
});
