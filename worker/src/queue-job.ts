/**
 * What an executor does with a queue job (protocol step 3): ask the master to start the build,
 * run it if the master says so, drop it if not. The master's answer is the only word on whether
 * the build runs: a 409 (cancelled, taken, not yet due) means run nothing.
 */
import { ZodError } from 'zod';
import { QueueJobData, type BuildSpec } from '../../shared/src/agent-protocol.ts';
import { retry } from '../../shared/src/backoff.ts';
import type { BuildChannel, BuildRun } from './build-runner.ts';
import type { PoolTask, TaskOutcome } from './executor-pool.ts';
import { isRetryable, MasterError } from './master-client.ts';

export interface StartChannel extends BuildChannel {
  startBuild(buildId: number, executor: number): Promise<BuildSpec>;
}

export interface QueueJobHost {
  channel: StartChannel;
  run(spec: BuildSpec, executor: number, stopping: AbortSignal): Promise<BuildRun>;
  info(message: string): void;
  warn(message: string): void;
}

export async function workQueueJob(task: PoolTask, host: QueueJobHost): Promise<TaskOutcome> {
  const { buildId } = QueueJobData.parse(task.data); // a malformed queue job fails in the queue
  const spec = await start(task, buildId, host);
  if (spec === 'requeue' || spec === 'drop') return spec === 'requeue' ? 'requeue' : 'done';
  host.info(`build ${buildId} (${spec.jobName} #${spec.number}) started on executor ${task.executor}`);
  const run = await host.run(spec, task.executor, task.stopping);
  host.info(`build ${buildId} (${spec.jobName} #${spec.number}) ended: ${run.result}${run.reported ? '' : ' (not reported to the master)'}`);
  return 'done';
}

/** The spec, or what to do with the queue job when there is no build to run. */
async function start(task: PoolTask, buildId: number, host: QueueJobHost): Promise<BuildSpec | 'drop' | 'requeue'> {
  const stopped = new Error('the agent is stopping');
  try {
    // While the master is unreachable or restarting, keep the queue job (its lock is renewed) and
    // try again; if the agent stops meanwhile, give it back for another agent.
    return await retry(
      async () => {
        if (task.stopping.aborted) throw stopped;
        return await host.channel.startBuild(buildId, task.executor);
      },
      {
        initialMs: 250,
        maxMs: 5000,
        signal: task.stopping,
        retryable: (err) => err !== stopped && !(err instanceof ZodError) && isRetryable(err),
        onRetry: (err, wait) => host.warn(`build ${buildId}: cannot start it yet (${(err as Error).message}); retrying in ${wait} ms`),
      },
    );
  } catch (err) {
    if (err === stopped) return 'requeue';
    if (err instanceof MasterError && err.status === 409) return 'drop';
    if (err instanceof ZodError) {
      await refuseSpec(host.channel, buildId, err);
      return 'drop';
    }
    host.warn(`build ${buildId}: the master refused to start it: ${(err as Error).message}`);
    return 'drop';
  }
}

/**
 * The master started the build but sent a spec this agent cannot read (a newer protocol?): end it
 * FAILURE with the reason in its console, once, best effort.
 */
async function refuseSpec(channel: StartChannel, buildId: number, err: ZodError): Promise<void> {
  const line = Buffer.from(`FATAL: this agent cannot run the build the master sent: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  try {
    const { logSize } = await channel.sendLog(buildId, 0, []); // where the console ends now
    const control = await channel.sendLog(buildId, logSize, [line]);
    await channel.finishBuild(buildId, { result: 'FAILURE', logSize: control.logSize });
  } catch {
    // the master will end it when the agent is lost, or an operator will
  }
}
