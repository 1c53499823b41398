/** Builds as every side sees them: states, results and their Jenkins ordering. */
import { z } from 'zod';

/** Results, best first; a build's result only ever gets worse (Jenkins' Result ordinal). */
export const BUILD_RESULTS = [
  'SUCCESS', // every step passed
  'UNSTABLE', // a step exited with its unstableReturn code
  'FAILURE', // a step failed, the agent was lost, or the build timed out
  'NOT_BUILT', // the build did not run its steps
  'ABORTED', // someone (or something) stopped it
] as const;
export const BuildResult = z.enum(BUILD_RESULTS);
export type BuildResult = z.infer<typeof BuildResult>;

/** The worse of two results (Jenkins' Result.combine). */
export function worseResult(a: BuildResult, b: BuildResult): BuildResult {
  return BUILD_RESULTS.indexOf(a) >= BUILD_RESULTS.indexOf(b) ? a : b;
}

/** Is `result` at least as good as `threshold`? (Jenkins' isBetterOrEqualTo) */
export function isBetterOrEqual(result: BuildResult, threshold: BuildResult): boolean {
  return BUILD_RESULTS.indexOf(result) <= BUILD_RESULTS.indexOf(threshold);
}

export const BUILD_STATES = [
  'queued', // waiting in the queue: no number yet, no agent
  'running', // taken by an agent's executor; has a number
  'finished', // has a result; its log is complete
  'cancelled', // left the queue without running (never numbered)
] as const;
export const BuildState = z.enum(BUILD_STATES);
export type BuildState = z.infer<typeof BuildState>;

/** Why a build started (Jenkins' causes). */
export const Cause = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), userId: z.string() }),
  z.object({ kind: z.literal('remote'), address: z.string() }),
  z.object({ kind: z.literal('timer') }),
  z.object({ kind: z.literal('upstream'), job: z.string(), number: z.number() }),
  /** Poll SCM (or notifyCommit's polling) saw the job's branch move to `sha`. */
  z.object({ kind: z.literal('scm'), ref: z.string(), sha: z.string() }),
  /** A forge's push webhook (GitHub, GitLab, Gitea): `pusher` pushed `sha` to `ref`. */
  z.object({ kind: z.literal('push'), forge: z.enum(['github', 'gitlab', 'gitea']), pusher: z.string(), ref: z.string(), sha: z.string() }),
  /** /git/notifyCommit with sha1= (the git plugin's CommitHookCause); `ref` when branches= named one. */
  z.object({ kind: z.literal('commitNotification'), sha: z.string(), ref: z.string().optional() }),
  /** Generic Webhook Trigger: its causeString (the plugin's default "Generic Cause"). */
  z.object({ kind: z.literal('genericWebhook'), text: z.string() }),
]);
export type Cause = z.infer<typeof Cause>;

/** Causes as Jenkins lists them: identical ones once, counted ("Started by timer (2 times)"). */
export function describeCauses(causes: Cause[]): string[] {
  const counts = new Map<string, number>();
  for (const c of causes) counts.set(describeCause(c), (counts.get(describeCause(c)) ?? 0) + 1);
  return [...counts].map(([text, n]) => (n > 1 ? `${text} (${n} times)` : text));
}

const FORGE_NAMES = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' } as const;

/**
 * The commit a build was started for, when a cause names one (a push, a poll, a commit
 * notification): the newest such cause's, as pushes merged into one queued build are built at the
 * last. The agent checks it out, and a commit status is set on it until the checkout records its own.
 */
export function causedRevision(causes: Cause[]): { commit: string; ref: string | null } | null {
  for (const c of causes.toReversed()) {
    if (c.kind === 'scm' || c.kind === 'push' || c.kind === 'commitNotification') return { commit: c.sha, ref: c.ref ?? null };
  }
  return null;
}

/** Jenkins' wording: "Started by user alice". */
export function describeCause(c: Cause): string {
  switch (c.kind) {
    case 'user':
      return `Started by user ${c.userId}`;
    case 'remote':
      return `Started by remote host ${c.address}`;
    case 'timer':
      return 'Started by timer';
    case 'upstream':
      return `Started by upstream project ‘${c.job}’ build number ${c.number}`;
    case 'scm':
      return 'Started by an SCM change';
    case 'push':
      return `Started by ${FORGE_NAMES[c.forge]} push by ${c.pusher}`;
    case 'commitNotification':
      return `commit notification ${c.sha}`;
    case 'genericWebhook':
      return c.text;
  }
}
