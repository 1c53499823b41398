/**
 * Putting a build in the queue (the `queue` transition): parameters checked against the job's
 * definitions, password values sealed, identical triggers in a quiet period merged. It writes in
 * the caller's transaction; the caller runs `BuildLifecycle.queued` once it committed.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Cause } from '../../../shared/src/build.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import type { StoredJob } from '../jobs/jobs.ts';
import { addCause, insertQueued } from './build-rows.ts';
import { defaultRuns } from './run-parameters.ts';
import { resolveParameters } from './parameters.ts';
import { SecretBox } from '../secret-box.ts';
import { storeBuildFile, type UploadedFile } from './uploads.ts';

export class BuildQueueing {
  readonly #secrets: SecretBox;
  constructor(secrets: SecretBox) {
    this.#secrets = secrets;
  }

  /**
   * Queues a build, inside the caller's transaction when it has one. Merging into a build in its
   * quiet period needs one: it locks the job. Returns the queue id.
   */
  async queueIn(tx: CommonQueryMethods, stored: StoredJob, given: Record<string, unknown>, cause: Cause, files: UploadedFile[] = [], opts: { quietPeriod?: number } = {}): Promise<number> {
    return (await this.enqueue(tx, stored, given, cause, files, opts)).id;
  }

  /** As queueIn, and whether the trigger folded into a waiting item (Jenkins answers 303 then). */
  async enqueue(tx: CommonQueryMethods, stored: StoredJob, given: Record<string, unknown>, cause: Cause, files: UploadedFile[] = [], opts: { quietPeriod?: number } = {}): Promise<{ id: number; merged: boolean }> {
    const { id: jobId, job } = stored;
    const quietPeriod = opts.quietPeriod ?? job.quietPeriod;
    if (job.disabled) throw new ConflictError(`${job.name} is disabled and cannot be built`);
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ValidationError('parameters must be an object of NAME: value');
    for (const file of files) {
      const def = job.parameters.find((p) => p.name === file.parameter);
      if (def?.type !== 'file') {
        throw new ValidationError(`${file.parameter} is not a file parameter of ${job.name}`, [{ field: `parameters.${file.parameter}`, message: 'not a file parameter' }]);
      }
    }
    const values = resolveParameters(job.parameters, given);
    await defaultRuns(tx, job.parameters, values);
    for (const file of files) values[file.parameter] = file.fileName;
    // Password values are kept encrypted; a missing one falls back to the (already sealed) default.
    for (const p of job.parameters) {
      if (p.type !== 'password') continue;
      const v = values[p.name] as string;
      values[p.name] = !Object.hasOwn(given, p.name) && SecretBox.isSealed(p.default) ? p.default : this.#secrets.seal(v);
    }
    // A trigger arriving while an identical item (same parameters) is still in its quiet period
    // folds into it, as in Jenkins; with no quiet period nothing merges.
    if (quietPeriod > 0 && files.length === 0) {
      await tx.query(sql.unsafe`SELECT 1 FROM jobs WHERE id = ${jobId} FOR UPDATE`);
      const waiting = await tx.any(sql.type(z.object({ id: z.coerce.number(), parameters: z.record(z.string(), z.unknown()) }))`
        SELECT id, parameters FROM builds WHERE job_id = ${jobId} AND state = 'queued' AND not_before > now()
          AND NOT EXISTS (SELECT 1 FROM build_files f WHERE f.build_id = builds.id) ORDER BY id`);
      const same = waiting.find((w) => this.#sameParameters(w.parameters, values));
      if (same) {
        await addCause(tx, same.id, cause);
        return { id: same.id, merged: true };
      }
    }
    const row = { jobId, cause, parameters: values, label: job.label, quietPeriod };
    if (files.length === 0) return { id: await insertQueued(tx, row), merged: false };
    const id = await tx.transaction(async (t) => {
      const buildId = await insertQueued(t, row);
      for (const file of files) await storeBuildFile(t, buildId, file);
      return buildId;
    });
    return { id, merged: false };
  }

  /** Equal parameter values, comparing encrypted ones by their plain text. */
  #sameParameters(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
    const plain = (v: unknown) => (SecretBox.isSealed(v) ? this.#secrets.open(v) : v);
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => plain(a[k]) === plain(b[k]));
  }
}
