/**
 * parameterized-trigger's BlockingBehaviour: what a downstream build's result does to the build
 * that waited for it. Each threshold means "this result or worse"; `never` switches it off.
 */
import { isBetterOrEqual, type BuildResult } from '../../shared/src/build.ts';
import type { Block, BlockThreshold } from '../../shared/src/job.ts';

/** Is `result` at least as bad as `threshold` (Jenkins' isWorseOrEqualTo)? Never for `never`. */
export function atOrWorse(result: BuildResult, threshold: BlockThreshold): boolean {
  return threshold !== 'never' && isBetterOrEqual(threshold, result);
}

/**
 * One downstream result: the step fails (build FAILURE, later steps skipped) when it reaches
 * buildStepFailureThreshold; else the build is marked FAILURE at failureThreshold, UNSTABLE at
 * unstableThreshold, or left alone (`mark: null`).
 */
export function mapDownstreamResult(block: Block, result: BuildResult): { stepFails: boolean; mark: BuildResult | null } {
  if (atOrWorse(result, block.buildStepFailureThreshold)) return { stepFails: true, mark: null };
  if (atOrWorse(result, block.failureThreshold)) return { stepFails: false, mark: 'FAILURE' };
  if (atOrWorse(result, block.unstableThreshold)) return { stepFails: false, mark: 'UNSTABLE' };
  return { stepFails: false, mark: null };
}
