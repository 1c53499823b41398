/**
 * List views (Jenkins' "List View"): a named selection of jobs for the home page's tabs. One
 * schema for the API, storage and the UI; unknown fields are refused, every error names its field.
 */
import { z } from 'zod';
import { JobName } from './job.ts';
import { compileLinearRegex } from './linear-regex.ts';

/** The built-in view of every job; no stored view may take its name. */
export const ALL_VIEW = 'All';

/**
 * A regular expression in RE2 syntax (close to Java's, which Jenkins uses: no backreferences or
 * lookarounds), matched against a job's whole name in linear time (see linear-regex.ts).
 */
export const IncludeRegex = z.string().superRefine((source, ctx) => {
  const compiled = compileLinearRegex(source);
  if (!compiled.ok) ctx.addIssue({ code: 'custom', message: compiled.problem });
});

export const View = z.strictObject({
  name: JobName.refine((n) => n.toLowerCase() !== ALL_VIEW.toLowerCase(), `"${ALL_VIEW}" is reserved for the view of every job`),
  description: z.string().max(100_000).default(''),
  /** Job names, each an existing job; shown in name order. */
  jobs: z.array(JobName).max(10_000).default([]),
  /** Jobs whose whole name matches are members too; null = none. */
  includeRegex: IncludeRegex.nullable().default(null),
});
export type View = z.infer<typeof View>;
export type ViewInput = z.input<typeof View>;

/**
 * The whole-name matcher for a view's includeRegex (null when it has none). A stored pattern that
 * no longer passes IncludeRegex (saved before patterns were matched by RE2) matches no job.
 */
export function includeMatcher(includeRegex: string | null): ((jobName: string) => boolean) | null {
  if (includeRegex === null) return null;
  const compiled = compileLinearRegex(includeRegex);
  return compiled.ok ? compiled.matches : () => false;
}

interface Membership {
  listed: Set<string>;
  matches: ((jobName: string) => boolean) | null;
}
const memberships = new WeakMap<object, Membership>();

/**
 * Whether a job belongs to a list view — the one place this is decided (the master answers
 * GET /api/jobs?view= with it, and the UI shows what the master answers). As Jenkins' ListView:
 * a listed name matches whatever its case (its jobNames is a case-insensitive set; job names are
 * unique case-insensitively here too), and includeRegex must match the whole name, case and all
 * (Pattern.matcher(name).matches()). What is derived from the view (the lower-cased names, the
 * compiled expression) is kept with the view object, so a view is prepared once for many jobs.
 */
export function matchesView(view: Pick<View, 'jobs' | 'includeRegex'>, jobName: string): boolean {
  let m = memberships.get(view);
  if (!m) memberships.set(view, (m = { listed: new Set(view.jobs.map((n) => n.toLowerCase())), matches: includeMatcher(view.includeRegex) }));
  return m.listed.has(jobName.toLowerCase()) || (m.matches?.(jobName) ?? false);
}
