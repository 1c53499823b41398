/**
 * The images a build's dockerBuild steps pushed (the only owner of build_docker_images). The agent
 * running the build reports each push (AGENT_PATHS.dockerImage); the master takes a report only
 * for a pushing dockerBuild step of the build's job, naming the image that step names. People see
 * them on the build page and in the build's JSON.
 */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { DockerImageReport } from '../../../shared/src/agent-protocol.ts';
import type { DockerImage } from '../../../shared/src/api-responses.ts';
import { Job } from '../../../shared/src/job.ts';
import { imageName } from '../../../shared/src/steps/docker-build-step.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { lockOwnedBuild, type AgentRef } from './build-rows.ts';


// Row schemas are built once: zod compiles each new schema on its first parse.
const ConfigRow = z.object({ config: z.unknown() });
const ImageRow = z.object({ step: z.number(), image: z.string(), tags: z.array(z.string()), digest: z.string(), pushed_at: z.number() });

export class DockerImagesService {
  readonly #pool: DatabasePool;
  constructor(pool: DatabasePool) {
    this.#pool = pool;
  }

  /** Records what a step of a running build pushed; a resend for the same step replaces it. */
  async record(agent: AgentRef, buildId: number, report: DockerImageReport): Promise<DockerImage> {
    return this.#pool.transaction(async (tx) => {
      const row = await lockOwnedBuild(tx, agent, buildId);
      const job = Job.parse(await tx.oneFirst(sql.type(ConfigRow)`SELECT config FROM jobs WHERE id = ${row.job_id}`));
      const step = job.steps[report.step];
      if (step?.type !== 'dockerBuild' || !step.push) throw new ConflictError(`Step ${report.step + 1} of ${job.name} pushes no image (the job changed while the build ran?)`);
      const named = imageName(step);
      if (report.image !== named) throw new ValidationError(`Step ${report.step + 1} of ${job.name} pushes ${named}, not ${report.image}`, [{ field: 'image', message: `must be ${named}` }]);
      if (report.tags.length > step.tags.length) throw new ValidationError(`Step ${report.step + 1} of ${job.name} has ${step.tags.length} tag(s), not ${report.tags.length}`, [{ field: 'tags', message: 'more than the step has' }]);
      const saved = await tx.one(sql.type(ImageRow)`
        INSERT INTO build_docker_images (build_id, step, image, tags, digest) VALUES (${buildId}, ${report.step}, ${report.image}, ${sql.array(report.tags, 'text')}, ${report.digest})
        ON CONFLICT (build_id, step) DO UPDATE SET image = excluded.image, tags = excluded.tags, digest = excluded.digest, pushed_at = now()
        RETURNING step, image, tags, digest, pushed_at`);
      return present(saved);
    });
  }

  /** A build's pushed images, in step order. */
  async list(buildId: number): Promise<DockerImage[]> {
    const rows = await this.#pool.any(sql.type(ImageRow)`SELECT step, image, tags, digest, pushed_at FROM build_docker_images WHERE build_id = ${buildId} ORDER BY step`);
    return rows.map(present);
  }
}

function present(row: z.infer<typeof ImageRow>): DockerImage {
  return { step: row.step, image: row.image, tags: row.tags, digest: row.digest, reference: `${row.image}@${row.digest}`, pushedAt: new Date(row.pushed_at).toISOString() };
}
