/**
 * What the notifiers' rules need of a build and its job's history, read in the change's own
 * transaction: the results of the builds before it (newest first) and its change set.
 */
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { BuildResult, describeCauses } from '../../../shared/src/build.ts';
import { jobUrl } from '../builds/build-env.ts';
import type { BuildChange } from '../builds/build-notifiers.ts';
import { changesOf, type ChangeEntry } from './change-sets.ts';

export interface BuildFacts {
  job: string;
  number: number;
  url: string;
  /** null at a start. */
  result: BuildResult | null;
  /** Results of the job's finished builds before this one, newest first (at most PREVIOUS_LIMIT). */
  previous: BuildResult[];
  /** Their build ids, in the same order. */
  previousIds: number[];
  durationMs: number;
  /** "Started by user alice", as the console's first line. */
  cause: string;
  changes: ChangeEntry[];
}

/** How many failing builds before this one give culprits. */
const CULPRIT_BUILDS = 20;

/** Enough history for both plugins' rules: each looks past ABORTED (and NOT_BUILT) builds only. */
const PREVIOUS_LIMIT = 100;

export async function buildFacts(tx: DatabaseTransactionConnection, change: BuildChange): Promise<BuildFacts> {
  const { row, job } = change;
  const previous = await tx.any(sql.type(z.object({ id: z.coerce.number(), result: BuildResult }))`
    SELECT id, result FROM builds WHERE job_id = ${row.job_id} AND state = 'finished' AND number < ${row.number!}
    ORDER BY number DESC LIMIT ${PREVIOUS_LIMIT}`);
  return {
    job: job.name,
    number: row.number!,
    url: `${jobUrl(change.publicUrl, job.name)}${row.number}/`,
    result: change.result,
    previous: previous.map((b) => b.result),
    previousIds: previous.map((b) => b.id),
    durationMs: row.started_at === null ? 0 : Math.max(0, Date.now() - row.started_at),
    cause: describeCauses(row.causes).join(', '),
    changes: await changesOf(tx, row.id),
  };
}

/**
 * Jenkins' culprits (AbstractBuild.getCulprits): the authors of this build's changes and, while the
 * build before was worse than SUCCESS, of its changes too, back to the last SUCCESS.
 */
export async function culpritChanges(tx: DatabaseTransactionConnection, facts: BuildFacts): Promise<ChangeEntry[]> {
  const changes = [...facts.changes];
  for (const [i, result] of facts.previous.entries()) {
    // A long red streak reads at most CULPRIT_BUILDS change sets in the build's end transaction.
    if (result === 'SUCCESS' || i >= CULPRIT_BUILDS) break;
    changes.push(...(await changesOf(tx, facts.previousIds[i]!)));
  }
  return changes;
}

/** The first of `previous` that is not one of `skipped` (null when there is none: the job's first build). */
export function previousResult(previous: readonly BuildResult[], skipped: readonly BuildResult[]): BuildResult | null {
  return previous.find((r) => !skipped.includes(r)) ?? null;
}

/** Jenkins' Util.getTimeSpanString: "1 hr 2 min", "3 min 4 sec", "5.2 sec". */
export function timeSpan(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  if (hours > 0) return `${hours} hr ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds} sec`;
  if (ms >= 10_000) return `${seconds} sec`;
  return `${(Math.floor(ms / 100) / 10).toString()} sec`;
}
