/**
 * "Trigger/call builds on other projects" on the agent (protocol: AGENT_PATHS.trigger, .awaited):
 * asks the master to queue the downstream builds; with `block`, waits for each in turn while
 * holding the executor ("Waiting for the completion of X", "X #N started.", "X #N completed.
 * Result was R") and maps its result through the step's thresholds. Later steps see the
 * TRIGGERED_* variables. An abort ends the waiting at once.
 */
import { AWAIT_POLL_MS, TRIGGER_ENV, type AwaitedBuilds, type BuildSpec, type TriggerAnswer, type TriggerRequest } from '../../shared/src/agent-protocol.ts';
import { pause, retry } from '../../shared/src/backoff.ts';
import { worseResult, type BuildResult } from '../../shared/src/build.ts';
import { mapDownstreamResult } from './block-thresholds.ts';
import { isRetryable } from './master-client.ts';
import { readPropertiesFiles } from './properties-files.ts';
import type { TriggeredBuilds } from './triggered-builds.ts';

export interface TriggerChannel {
  triggerBuilds(buildId: number, req: TriggerRequest, signal?: AbortSignal): Promise<TriggerAnswer>;
  awaitedBuilds(buildId: number, queueIds: number[], signal?: AbortSignal): Promise<AwaitedBuilds>;
}

export interface TriggerContext {
  channel: TriggerChannel;
  buildId: number;
  workspace: string;
  /** The steps' environment: the exported variables are written into it. */
  env: Record<string, string>;
  exports: TriggeredBuilds;
  say(text: string): void;
  signal: AbortSignal;
  pollMs?: number;
}

export type TriggerStepSpec = Extract<BuildSpec['steps'][number], { type: 'triggerBuilds' }>;

/** `result`: the build's result after the step; `stepFailed`: skip the later steps; `aborted`: stopped while waiting. */
export interface TriggerOutcome {
  result: BuildResult;
  stepFailed: boolean;
  aborted: boolean;
}

export async function runTriggerStep(ctx: TriggerContext, step: TriggerStepSpec, index: number, resultSoFar: BuildResult): Promise<TriggerOutcome> {
  const properties = step.propertiesFile ? await readPropertiesFiles(step.propertiesFile, ctx.workspace, ctx.env, ctx.say) : [];
  const env = Object.fromEntries(Object.entries(ctx.env).filter(([k]) => TRIGGER_ENV.test(k)));
  const answer = await askToTrigger(ctx, { step: index, resultSoFar, properties, env });
  if (!answer) return { result: resultSoFar, stepFailed: false, aborted: true };
  for (const line of answer.lines) ctx.say(line);
  const outcome: TriggerOutcome = { result: resultSoFar, stepFailed: answer.failed, aborted: false };
  if (!step.block) {
    if (answer.triggered.length > 0) ctx.say(`Triggering projects: ${answer.triggered.map((t) => t.job).join(', ')}\n`);
    for (const t of answer.triggered) ctx.exports.triggered(t.job);
    Object.assign(ctx.env, ctx.exports.environment());
    return outcome;
  }
  const ids = answer.triggered.map((t) => t.queueId);
  for (const t of answer.triggered) {
    ctx.say(`Waiting for the completion of ${t.job}\n`);
    let announced = false;
    for (;;) {
      const seen = ctx.signal.aborted ? undefined : await poll(ctx, ids);
      if (ctx.signal.aborted) return { ...outcome, aborted: true };
      const build = seen?.builds.find((b) => b.queueId === t.queueId);
      if (seen && !build) {
        ctx.say(`${t.job}'s build is gone (the job was deleted?)\n`);
        outcome.stepFailed = true;
        break;
      }
      if (build?.number != null && !announced) {
        ctx.say(`${t.job} #${build.number} started.\n`);
        announced = true;
      }
      if (build?.state === 'cancelled') {
        ctx.say(`${t.job} was cancelled before it started.\n`);
        outcome.stepFailed = true;
        break;
      }
      if (build?.state === 'finished' && build.result && build.number != null) {
        ctx.say(`${t.job} #${build.number} completed. Result was ${build.result}\n`);
        ctx.exports.completed(t.job, build.number, build.result);
        if (!outcome.stepFailed) {
          const mapped = mapDownstreamResult(step.block, build.result);
          if (mapped.stepFails) outcome.stepFailed = true;
          else if (mapped.mark) outcome.result = worseResult(outcome.result, mapped.mark);
        }
        break;
      }
      await pause(ctx.pollMs ?? AWAIT_POLL_MS, ctx.signal);
    }
  }
  Object.assign(ctx.env, ctx.exports.environment());
  return outcome;
}

/**
 * The trigger request, resent with backoff while the master cannot be reached (it answers a
 * resent request as it answered the first); undefined once the build is aborted.
 */
async function askToTrigger(ctx: TriggerContext, req: TriggerRequest): Promise<TriggerAnswer | undefined> {
  try {
    return await retry(() => ctx.channel.triggerBuilds(ctx.buildId, req, ctx.signal), {
      initialMs: 250,
      maxMs: 5000,
      signal: ctx.signal,
      retryable: (err) => !ctx.signal.aborted && isRetryable(err),
    });
  } catch (err) {
    if (ctx.signal.aborted) return undefined;
    throw err;
  }
}

/** One look at the awaited builds; undefined when the master could not be reached (try again). */
async function poll(ctx: TriggerContext, ids: number[]): Promise<AwaitedBuilds | undefined> {
  try {
    return await ctx.channel.awaitedBuilds(ctx.buildId, ids, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted || isRetryable(err)) return undefined;
    throw err;
  }
}
