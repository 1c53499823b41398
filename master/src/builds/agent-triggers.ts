/**
 * The "Trigger/call builds on other projects" build step, master side (protocol:
 * shared/src/agent-protocol.ts, AGENT_PATHS.trigger and .awaited). Only the agent running the
 * build may trigger from it or watch what it awaits.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { TRIGGER_ENV, TriggerAnswer, type AwaitedBuilds, type TriggerRequest } from '../../../shared/src/agent-protocol.ts';
import { Job } from '../../../shared/src/job.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { awaitedBuilds } from './awaited.ts';
import { plainParameters, triggerEnvironment } from './build-env.ts';
import { lockOwnedBuild, type AgentRef } from './build-rows.ts';
import { settle, type BuildLifecycle } from './lifecycle.ts';
import type { DownstreamTriggers } from './downstream.ts';
import type { SecretBox } from '../secret-box.ts';

// Row schemas are built once: zod compiles each new schema on its first parse.
const AnswerRow = z.object({ answer: TriggerAnswer });
const ConfigRow = z.object({ config: z.unknown() });
export class AgentTriggersService {
  readonly #pool: DatabasePool;
  readonly #downstream: DownstreamTriggers;
  readonly #lifecycle: BuildLifecycle;
  readonly #secrets: SecretBox;
  readonly #publicUrl: () => Promise<string>;
  constructor(deps: { pool: DatabasePool; downstream: DownstreamTriggers; lifecycle: BuildLifecycle; secrets: SecretBox; publicUrl: () => Promise<string> }) {
    this.#pool = deps.pool;
    this.#downstream = deps.downstream;
    this.#lifecycle = deps.lifecycle;
    this.#secrets = deps.secrets;
    this.#publicUrl = deps.publicUrl;
  }

  /**
   * Queues the step's downstream builds (awaited by this build when the step blocks). A resent
   * request for the same step gets the first answer again: nothing is triggered twice.
   */
  async trigger(agent: AgentRef, buildId: number, req: TriggerRequest): Promise<TriggerAnswer> {
    const publicUrl = await this.#publicUrl();
    const done = await this.#pool.transaction(async (tx) => {
      const row = await lockOwnedBuild(tx, agent, buildId);
      const earlier = await tx.maybeOneFirst(sql.type(AnswerRow)`
        SELECT answer FROM build_step_triggers WHERE build_id = ${buildId} AND step = ${req.step}`);
      if (earlier) return { answer: earlier, queued: [] };
      const job = Job.parse(await tx.oneFirst(sql.type(ConfigRow)`SELECT config FROM jobs WHERE id = ${row.job_id}`));
      const step = job.steps[req.step];
      if (step?.type !== 'triggerBuilds') throw new ConflictError(`Step ${req.step + 1} of ${job.name} is not a trigger step (the job changed while the build ran)`);
      // Only what the step asks the agent for: properties files' texts when it names files, and a
      // result so far that lets a build step run at all.
      if (req.properties.length > 0 && !step.propertiesFile?.trim()) throw new ValidationError(`Step ${req.step + 1} of ${job.name} reads no properties file: properties are not taken`, [{ field: 'properties', message: 'not asked for' }]);
      if (req.resultSoFar !== 'SUCCESS' && req.resultSoFar !== 'UNSTABLE') throw new ValidationError(`resultSoFar must be SUCCESS or UNSTABLE (a build step runs only then), got ${req.resultSoFar}`, [{ field: 'resultSoFar', message: 'SUCCESS or UNSTABLE' }]);
      const parameters = plainParameters(row, this.#secrets);
      const agentEnv = Object.fromEntries(Object.entries(req.env).filter(([k]) => TRIGGER_ENV.test(k)));
      const env = { ...triggerEnvironment({ job, row, parameters, publicUrl }), ...agentEnv };
      const fired = await this.#downstream.fireStep(tx, row, step, req.resultSoFar, env, parameters, req.properties);
      const answer: TriggerAnswer = { lines: fired.lines, triggered: fired.queued.map((q) => ({ job: q.stored.job.name, queueId: q.queueId })), failed: fired.missed > 0 };
      await tx.query(sql.unsafe`INSERT INTO build_step_triggers (build_id, step, answer) VALUES (${buildId}, ${req.step}, ${sql.jsonb(answer)})`);
      return { answer, queued: fired.queued };
    });
    for (const q of done.queued) await settle(this.#lifecycle.queued(q.stored, q.queueId));
    return done.answer;
  }

  /** Where the builds this build awaits are (only its own; others are left out). */
  async awaited(agent: AgentRef, buildId: number, queueIds: number[]): Promise<AwaitedBuilds> {
    return this.#pool.transaction(async (tx) => {
      return awaitedBuilds(tx, await lockOwnedBuild(tx, agent, buildId), queueIds);
    });
  }
}
