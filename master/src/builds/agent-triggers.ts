/**
 * The "Trigger/call builds on other projects" build step, master side (protocol:
 * shared/src/agent-protocol.ts, AGENT_PATHS.trigger and .awaited). Only the agent running the
 * build may trigger from it or watch what it awaits.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { TRIGGER_ENV, type AwaitedBuilds, type TriggerAnswer, type TriggerRequest } from '../../../shared/src/agent-protocol.ts';
import { Job } from '../../../shared/src/job.ts';
import { ConflictError } from '../errors.ts';
import { awaitedBuilds } from './awaited.ts';
import { plainParameters, triggerEnvironment } from './build-env.ts';
import { lockOwnedBuild } from './build-rows.ts';
import type { BuildsService } from './builds.ts';
import type { DownstreamTriggers } from './downstream.ts';
import type { SecretBox } from './secret-box.ts';

export class AgentTriggersService {
  readonly #pool: DatabasePool;
  readonly #downstream: DownstreamTriggers;
  readonly #builds: BuildsService;
  readonly #secrets: SecretBox;
  readonly #publicUrl: () => Promise<string>;
  constructor(deps: { pool: DatabasePool; downstream: DownstreamTriggers; builds: BuildsService; secrets: SecretBox; publicUrl: () => Promise<string> }) {
    this.#pool = deps.pool;
    this.#downstream = deps.downstream;
    this.#builds = deps.builds;
    this.#secrets = deps.secrets;
    this.#publicUrl = deps.publicUrl;
  }

  /** Queues the step's downstream builds (awaited by this build when the step blocks). */
  async trigger(agentName: string, buildId: number, req: TriggerRequest): Promise<TriggerAnswer> {
    const publicUrl = await this.#publicUrl();
    const fired = await this.#pool.transaction(async (tx) => {
      const row = await lockOwnedBuild(tx, agentName, buildId);
      const job = Job.parse(await tx.oneFirst(sql.type(z.object({ config: z.unknown() }))`SELECT config FROM jobs WHERE id = ${row.job_id}`));
      const step = job.steps[req.step];
      if (step?.type !== 'triggerBuilds') throw new ConflictError(`Step ${req.step + 1} of ${job.name} is not a trigger step (the job changed while the build ran)`);
      const parameters = plainParameters(row, this.#secrets);
      const agentEnv = Object.fromEntries(Object.entries(req.env).filter(([k]) => TRIGGER_ENV.test(k)));
      const env = { ...triggerEnvironment({ job, row, parameters, publicUrl }), ...agentEnv };
      return this.#downstream.fireStep(tx, row, step, req.resultSoFar, env, parameters, req.properties);
    });
    for (const q of fired.queued) await this.#builds.announceQueued(q.stored, q.queueId);
    return { lines: fired.lines, triggered: fired.queued.map((q) => ({ job: q.stored.job.name, queueId: q.queueId })), failed: fired.missed > 0 };
  }

  /** Where the builds this build awaits are (only its own; others are left out). */
  async awaited(agentName: string, buildId: number, queueIds: number[]): Promise<AwaitedBuilds> {
    return this.#pool.transaction(async (tx) => {
      return awaitedBuilds(tx, await lockOwnedBuild(tx, agentName, buildId), queueIds);
    });
  }
}
