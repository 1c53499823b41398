import test from 'ava';
import type { BusyBuild } from '../../master/src/builds/awaited.ts';
import { executorWhy, type QueueAgent } from '../../master/src/builds/queue-why.ts';

const agent = (name: string, executors: number, labels: string[] = [], online = true): QueueAgent => ({ name, labels, executors, online });
const busy = (agentName: string, job: string, number: number, waiting: boolean): BusyBuild => ({ agent: agentName, job, number, waiting });

test('every executor that could run the item held by builds waiting for downstream builds: the why names them', (t) => {
  const agents = [agent('a1', 1, ['solo']), agent('a2', 2, ['other'])];
  const held = [busy('a1', 'A', 3, true)];
  t.is(executorWhy('solo', agents, held), 'Waiting for next available executor on ‘solo’ (all executors are busy with builds waiting for downstream builds: A #3)');
  t.is(executorWhy('', [agent('a1', 2)], [busy('a1', 'A', 3, true), busy('a1', 'B', 1, true)]), 'Waiting for next available executor (all executors are busy with builds waiting for downstream builds: A #3, B #1)');
});

test('a free executor, or one busy with a build that is not waiting, keeps the plain why', (t) => {
  t.is(executorWhy('', [agent('a1', 2)], [busy('a1', 'A', 3, true)]), 'Waiting for next available executor', 'one executor is free');
  t.is(executorWhy('', [agent('a1', 2)], [busy('a1', 'A', 3, true), busy('a1', 'C', 9, false)]), 'Waiting for next available executor', 'C may finish');
  t.is(executorWhy('solo', [agent('a1', 1, ['solo']), agent('a2', 1, ['solo'])], [busy('a1', 'A', 3, true)]), 'Waiting for next available executor on ‘solo’');
});

test('no matching node, or all offline, say so first', (t) => {
  t.is(executorWhy('gpu', [agent('a1', 1)], []), 'There are no nodes with the label ‘gpu’');
  t.is(executorWhy('solo', [agent('a1', 1, ['solo'], false)], [busy('a1', 'A', 3, true)]), 'All nodes of label ‘solo’ are offline');
  t.is(executorWhy('', [agent('a1', 1, [], false)], []), 'All nodes are offline');
});
