/** The trigger step on the agent, against a fake master. */
import test from 'ava';
import type { AwaitedBuilds, TriggerAnswer, TriggerRequest } from '../../shared/src/agent-protocol.ts';
import { TriggerBuildsStep } from '../../shared/src/job.ts';
import { MasterError } from '../../worker/src/master-client.ts';
import { runTriggerStep, type TriggerChannel, type TriggerContext } from '../../worker/src/trigger-step.ts';
import { TriggeredBuilds } from '../../worker/src/triggered-builds.ts';

function context(channel: TriggerChannel, signal = new AbortController().signal) {
  const lines: string[] = [];
  const env: Record<string, string> = { WORKSPACE: '/nowhere', PATH: '/bin' };
  const ctx: TriggerContext = { channel, buildId: 7, workspace: '/nowhere', env, exports: new TriggeredBuilds(), say: (s) => lines.push(s), signal, pollMs: 5 };
  return { ctx, lines, env };
}
const answer: TriggerAnswer = { lines: [], triggered: [{ job: 'deploy', queueId: 40 }], failed: false };
const step = TriggerBuildsStep.parse({ type: 'triggerBuilds', projects: 'deploy', block: {} });

test('a request the master could not take is resent; only the agent variables a trigger may use are sent', async (t) => {
  const sent: TriggerRequest[] = [];
  const states: AwaitedBuilds['builds'][number][] = [
    { queueId: 40, job: 'deploy', state: 'queued', number: null, result: null },
    { queueId: 40, job: 'deploy', state: 'running', number: 3, result: null },
    { queueId: 40, job: 'deploy', state: 'finished', number: 3, result: 'UNSTABLE' },
  ];
  const channel: TriggerChannel = {
    async triggerBuilds(_id, req) {
      sent.push(req);
      if (sent.length === 1) throw new Error('fetch failed');
      return answer;
    },
    async awaitedBuilds() {
      return { builds: [states.length > 1 ? states.shift()! : states[0]!] };
    },
  };
  const { ctx, lines, env } = context(channel);
  const outcome = await runTriggerStep(ctx, step, 2, 'SUCCESS');
  t.deepEqual(outcome, { result: 'UNSTABLE', stepFailed: false, aborted: false });
  t.is(sent.length, 2);
  t.deepEqual(sent[1], { step: 2, resultSoFar: 'SUCCESS', properties: [], env: { WORKSPACE: '/nowhere' } });
  t.deepEqual(lines, ['Waiting for the completion of deploy\n', 'deploy #3 started.\n', 'deploy #3 completed. Result was UNSTABLE\n']);
  t.like(env, { LAST_TRIGGERED_JOB_NAME: 'deploy', TRIGGERED_BUILD_NUMBER_deploy: '3', TRIGGERED_BUILD_RESULT_deploy: 'UNSTABLE' });
});

test('an abort ends the waiting at once; a refusal from the master is not resent', async (t) => {
  const abort = new AbortController();
  const channel: TriggerChannel = {
    triggerBuilds: async () => answer,
    // Aborted just after the first answer, while the step waits a minute for its next poll.
    awaitedBuilds: async () => {
      setImmediate(() => abort.abort());
      return { builds: [{ queueId: 40, job: 'deploy', state: 'running', number: 1, result: null }] };
    },
  };
  const { ctx } = context(channel, abort.signal);
  const started = Date.now();
  t.like(await runTriggerStep({ ...ctx, pollMs: 60_000 }, step, 0, 'SUCCESS'), { aborted: true });
  t.true(Date.now() - started < 30_000, 'not at the next poll'); // half the poll: however loaded the machine

  let calls = 0;
  const refusing: TriggerChannel = { ...channel, triggerBuilds: async () => { calls++; throw new MasterError(409, 'not a trigger step'); } };
  await t.throwsAsync(runTriggerStep(context(refusing).ctx, step, 0, 'SUCCESS'), { message: 'not a trigger step' });
  t.is(calls, 1);
});
