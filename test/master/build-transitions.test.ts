import test from 'ava';
import { transition, type BuildEvent, type BuildStatus } from '../../master/src/builds/build-transitions.ts';

const queued: BuildStatus = { state: 'queued', result: null, abortResult: null };
const running: BuildStatus = { state: 'running', result: null, abortResult: null };
const finished: BuildStatus = { state: 'finished', result: 'SUCCESS', abortResult: null };

const cases: [string, BuildStatus, BuildEvent, BuildStatus | 'refused'][] = [
  ['queued + start → running', queued, { type: 'start' }, running],
  ['queued + cancel → cancelled, no result', queued, { type: 'cancel' }, { ...queued, state: 'cancelled' }],
  ['queued + abort → cancelled', queued, { type: 'abort', result: 'ABORTED' }, { ...queued, state: 'cancelled' }],
  ['running + start → refused (a build never starts twice)', running, { type: 'start' }, 'refused'],
  ['running + cancel → refused', running, { type: 'cancel' }, 'refused'],
  ['running + finish SUCCESS → SUCCESS', running, { type: 'finish', reported: 'SUCCESS' }, finished],
  ['running + finish UNSTABLE → UNSTABLE', running, { type: 'finish', reported: 'UNSTABLE' }, { ...finished, result: 'UNSTABLE' }],
  ['running + abort → still running, abort remembered', running, { type: 'abort', result: 'ABORTED' }, { ...running, abortResult: 'ABORTED' }],
  ['aborting + finish SUCCESS → ABORTED', { ...running, abortResult: 'ABORTED' }, { type: 'finish', reported: 'SUCCESS' }, { state: 'finished', result: 'ABORTED', abortResult: 'ABORTED' }],
  ['timed out + finish ABORTED → FAILURE', { ...running, abortResult: 'FAILURE' }, { type: 'finish', reported: 'ABORTED' }, { state: 'finished', result: 'FAILURE', abortResult: 'FAILURE' }],
  ['aborted, then timed out → the first abort decides', { ...running, abortResult: 'ABORTED' }, { type: 'abort', result: 'FAILURE' }, { ...running, abortResult: 'ABORTED' }],
  ['running + agent lost → FAILURE, never re-queued', running, { type: 'agentLost' }, { ...running, state: 'finished', result: 'FAILURE' }],
  ['aborting + agent lost → ABORTED', { ...running, abortResult: 'ABORTED' }, { type: 'agentLost' }, { state: 'finished', result: 'ABORTED', abortResult: 'ABORTED' }],
  ['finished + finish → refused', finished, { type: 'finish', reported: 'FAILURE' }, 'refused'],
  ['finished + agent lost → refused', finished, { type: 'agentLost' }, 'refused'],
  ['finished + abort → refused', finished, { type: 'abort', result: 'ABORTED' }, 'refused'],
  ['cancelled + start → refused', { ...queued, state: 'cancelled' }, { type: 'start' }, 'refused'],
];
for (const [name, from, event, expected] of cases) {
  test(name, (t) => {
    const r = transition(from, event);
    if (expected === 'refused') t.false(r.ok);
    else t.deepEqual(r.ok && r.next, expected);
  });
}
