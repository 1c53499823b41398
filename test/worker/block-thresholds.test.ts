import test from 'ava';
import { BUILD_RESULTS, type BuildResult } from '../../shared/src/build.ts';
import { Block } from '../../shared/src/job.ts';
import { mapDownstreamResult } from '../../worker/src/block-thresholds.ts';
import { sanitizeJobName, TriggeredBuilds } from '../../worker/src/triggered-builds.ts';

const outcomes = (block: object) => Object.fromEntries(BUILD_RESULTS.map((r: BuildResult) => [r, mapDownstreamResult(Block.parse(block), r)]));

test('default block: FAILURE or worse fails the step; UNSTABLE marks the build UNSTABLE; SUCCESS changes nothing', (t) => {
  t.deepEqual(outcomes({}), {
    SUCCESS: { stepFails: false, mark: null },
    UNSTABLE: { stepFails: false, mark: 'UNSTABLE' },
    FAILURE: { stepFails: true, mark: null },
    NOT_BUILT: { stepFails: true, mark: null },
    ABORTED: { stepFails: true, mark: null },
  });
});

test('"never" switches a threshold off; failureThreshold marks FAILURE without failing the step', (t) => {
  t.deepEqual(outcomes({ buildStepFailureThreshold: 'never', unstableThreshold: 'never', failureThreshold: 'never' }).ABORTED, { stepFails: false, mark: null });
  const marked = outcomes({ buildStepFailureThreshold: 'never', failureThreshold: 'UNSTABLE', unstableThreshold: 'SUCCESS' });
  t.deepEqual([marked.SUCCESS!.mark, marked.UNSTABLE!.mark, marked.FAILURE!.mark], ['UNSTABLE', 'FAILURE', 'FAILURE']);
});

test('TRIGGERED_* variables accumulate per job, names sanitized as Jenkins does', (t) => {
  t.is(sanitizeJobName('my-job.v2 (x)'), 'my_job_v2_x_');
  const b = new TriggeredBuilds();
  t.deepEqual(b.environment(), {});
  b.completed('deploy-prod', 4, 'SUCCESS');
  b.triggered('notify');
  b.completed('deploy-prod', 5, 'FAILURE');
  t.deepEqual(b.environment(), {
    LAST_TRIGGERED_JOB_NAME: 'deploy-prod',
    TRIGGERED_JOB_NAMES: 'deploy-prod,notify',
    TRIGGERED_BUILD_NUMBER_deploy_prod: '5',
    TRIGGERED_BUILD_NUMBERS_deploy_prod: '4,5',
    TRIGGERED_BUILD_RESULT_deploy_prod: 'FAILURE',
    TRIGGERED_BUILD_RESULT_deploy_prod_RUN_4: 'SUCCESS',
    TRIGGERED_BUILD_RESULT_deploy_prod_RUN_5: 'FAILURE',
    TRIGGERED_BUILD_RUN_COUNT_deploy_prod: '2',
  });
});
