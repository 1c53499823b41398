/**
 * "Trigger/call builds on other projects" (parameterized-trigger's TriggerBuilder): queues the
 * downstream builds; with `block`, waits for them and maps their results through the thresholds.
 * What it passes on is shared with the post-build parameterized trigger (job.ts Publisher).
 */
import { z } from 'zod';

/** Parameterized trigger conditions (Jenkins' ResultCondition), each true for these results. */
export const TriggerCondition = z.enum([
  'SUCCESS', // == SUCCESS
  'UNSTABLE', // == UNSTABLE
  'FAILED', // == FAILURE
  'UNSTABLE_OR_BETTER', // SUCCESS or UNSTABLE
  'FAILED_OR_BETTER', // anything but NOT_BUILT and ABORTED
  'UNSTABLE_OR_WORSE', // UNSTABLE, FAILURE, NOT_BUILT or ABORTED
  'ALWAYS', // any result
]);
export type TriggerCondition = z.infer<typeof TriggerCondition>;

/** Comma-separated job names; `$VAR` / `${VAR}` are expanded from the build's environment. */
export const Projects = z.string().min(1, 'name at least one project').max(10_000);

/** What a parameterized trigger passes on, shared by the post-build action and the build step (later sources win). */
export const triggerParameters = {
  projects: Projects,
  /** Pass this build's parameters on (file parameters excepted). */
  currentParameters: z.boolean().default(false),
  /** Java-properties lines, `KEY=VALUE`, values expanded from the build's environment. */
  predefinedParameters: z.string().max(100_000).default(''),
  /** Comma-separated workspace files in Java-properties syntax (names `$VAR`-expanded), read by the agent; a missing file is reported and skipped. */
  propertiesFile: z.string().max(10_000).optional(),
};

/**
 * A blocking trigger step's thresholds (parameterized-trigger's BlockingBehaviour): each compares
 * a downstream result, "worse or equal"; `never` switches it off.
 */
export const BlockThreshold = z.enum(['never', 'SUCCESS', 'UNSTABLE', 'FAILURE']);
export type BlockThreshold = z.infer<typeof BlockThreshold>;
export const Block = z.strictObject({
  /** At or worse than this, the step fails: the build is FAILURE and later steps are skipped. */
  buildStepFailureThreshold: BlockThreshold.default('FAILURE'),
  /** At or worse than this, the build is marked UNSTABLE and goes on. */
  unstableThreshold: BlockThreshold.default('UNSTABLE'),
  /** At or worse than this, the build is marked FAILURE (and goes on, unless the step failed). */
  failureThreshold: BlockThreshold.default('FAILURE'),
});
export type Block = z.infer<typeof Block>;

export const TriggerBuildsStep = z.strictObject({
  type: z.literal('triggerBuilds'),
  ...triggerParameters,
  /** Tested against this build's result so far (SUCCESS or UNSTABLE): a step triggers unless told otherwise. */
  condition: TriggerCondition.default('ALWAYS'),
  block: Block.optional(),
});
export type TriggerBuildsStep = z.infer<typeof TriggerBuildsStep>;
