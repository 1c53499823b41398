/**
 * The git checkouts builds recorded (build_checkouts, sql/0018_build_checkouts.sql): the one
 * writer of that table. An agent's report is stored for the build it runs (the caller checked
 * that, under the build row's lock); the next build's spec gets the job's latest commit per branch;
 * the API shows a build's change set and a job's recent changes.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { ChangeSetItem, type ChangeSet, type CheckoutReport, type ScmHistory } from '../../../shared/src/scm.ts';

/** How many branches of earlier builds a spec carries at most (newest first). */
const HISTORY_BRANCHES = 100;

const CheckoutRow = z.object({
  number: z.number(),
  result: z.string().nullable(),
  commit_id: z.string(),
  branch: z.string(),
  remote_url: z.string(),
  changes: z.array(ChangeSetItem),
  more_changes: z.number(),
});

/** What a build checked out, as the API shows it. */
export interface BuildRevision {
  commit: string;
  branch: string;
  url: string;
}

/** Stores (or, for a resent report, replaces) what build `buildId` of job `jobId` checked out. */
export async function recordCheckout(db: CommonQueryMethods, build: { id: number; jobId: number }, report: CheckoutReport): Promise<void> {
  await db.query(sql.unsafe`
    INSERT INTO build_checkouts (build_id, job_id, commit_id, branch, remote_url, changes, more_changes)
    VALUES (${build.id}, ${build.jobId}, ${report.commit}, ${report.branch}, ${report.url}, ${sql.jsonb(report.changes)}, ${report.moreChanges})
    ON CONFLICT (build_id) DO UPDATE SET commit_id = excluded.commit_id, branch = excluded.branch, remote_url = excluded.remote_url,
      changes = excluded.changes, more_changes = excluded.more_changes, recorded_at = now()`);
}

/**
 * Per branch, the commit of the latest build before `number` and of the latest SUCCESS before it
 * (Jenkins' BuildData: lastBuildsByBranchName), newest branch first.
 */
export async function scmHistory(db: CommonQueryMethods, jobId: number, number: number): Promise<ScmHistory> {
  const rows = await db.any(sql.type(z.object({ branch: z.string(), commit: z.string(), successful_commit: z.string().nullable(), number: z.number() }))`
    WITH earlier AS (
      SELECT c.branch, c.commit_id, b.number, b.result FROM build_checkouts c JOIN builds b ON b.id = c.build_id
      WHERE c.job_id = ${jobId} AND b.number < ${number}),
    latest AS (SELECT DISTINCT ON (branch) branch, commit_id, number FROM earlier ORDER BY branch, number DESC),
    good AS (SELECT DISTINCT ON (branch) branch, commit_id FROM earlier WHERE result = 'SUCCESS' ORDER BY branch, number DESC)
    SELECT l.branch, l.commit_id AS commit, g.commit_id AS successful_commit, l.number
    FROM latest l LEFT JOIN good g ON g.branch = l.branch ORDER BY l.number DESC LIMIT ${HISTORY_BRANCHES}`);
  return rows.map((r) => ({ branch: r.branch, commit: r.commit, successfulCommit: r.successful_commit }));
}

/** A build's revision and change set (null: it checked nothing out). */
export async function buildCheckout(db: CommonQueryMethods, buildId: number): Promise<{ revision: BuildRevision; changeSet: ChangeSet } | null> {
  const row = await db.maybeOne(sql.type(CheckoutRow)`
    SELECT b.number, b.result, c.commit_id, c.branch, c.remote_url, c.changes, c.more_changes
    FROM build_checkouts c JOIN builds b ON b.id = c.build_id WHERE c.build_id = ${buildId}`);
  return row ? present(row) : null;
}

/** Recent Changes lists at most this many commits of each build (its build page has them all); the rest are counted. */
export const RECENT_CHANGES_PER_BUILD = 100;

/** The change sets of a job's latest `limit` builds that checked out (Jenkins' Recent Changes), newest first. */
export async function recentChanges(db: CommonQueryMethods, jobId: number, limit: number) {
  const rows = await db.any(sql.type(CheckoutRow)`
    SELECT b.number, b.result, c.commit_id, c.branch, c.remote_url,
      jsonb_path_query_array(c.changes, ${`$[0 to ${RECENT_CHANGES_PER_BUILD - 1}]`}::jsonpath) AS changes,
      c.more_changes + greatest(jsonb_array_length(c.changes) - ${RECENT_CHANGES_PER_BUILD}, 0) AS more_changes
    FROM build_checkouts c JOIN builds b ON b.id = c.build_id WHERE c.job_id = ${jobId} ORDER BY c.build_id DESC LIMIT ${limit}`);
  return rows.map((r) => ({ number: r.number, result: r.result, ...present(r) }));
}

function present(r: z.infer<typeof CheckoutRow>) {
  return {
    revision: { commit: r.commit_id, branch: r.branch, url: r.remote_url },
    changeSet: { kind: 'git' as const, items: r.changes, more: r.more_changes },
  };
}
