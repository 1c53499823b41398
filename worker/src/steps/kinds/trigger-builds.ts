/** "Trigger/call builds on other projects" (shared/src/steps/trigger-builds-step.ts); the work is trigger-step.ts'. */
import type { TriggerBuildsStep } from '../../../../shared/src/steps/trigger-builds-step.ts';
import { runTriggerStep } from '../../trigger-step.ts';
import type { StepRunner } from '../step-runners.ts';

const TRIGGER_FAILED = "Build step 'Trigger/call builds on other projects' marked build as failure\n";

export const triggerBuildsRunner: StepRunner<TriggerBuildsStep> = {
  type: 'triggerBuilds',
  async run(step, ctx) {
    const outcome = await runTriggerStep(ctx, step, ctx.index, ctx.resultSoFar);
    if (outcome.aborted) return { mark: outcome.result, stop: true };
    if (!outcome.stepFailed) return { mark: outcome.result, stop: false };
    ctx.say(TRIGGER_FAILED);
    return { mark: 'FAILURE', stop: true };
  },
};
