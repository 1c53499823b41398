/** "Copy artifacts from another project" (shared/src/steps/copy-artifacts-step.ts); the work is artifacts.ts'. */
import type { CopyArtifactsStep } from '../../../../shared/src/steps/copy-artifacts-step.ts';
import { copyArtifacts } from '../../artifacts.ts';
import type { StepRunner } from '../step-runners.ts';

export const copyArtifactsRunner: StepRunner<CopyArtifactsStep> = {
  type: 'copyArtifacts',
  async run(step, ctx) {
    return (await copyArtifacts(ctx, step)) ? { mark: 'SUCCESS', stop: false } : { mark: 'FAILURE', stop: true };
  },
};
