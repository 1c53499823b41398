/**
 * List views (Jenkins' "List View"): a named selection of jobs for the home page's tabs. One
 * schema for the API, storage and the UI; unknown fields are refused, every error names its field.
 */
import { z } from 'zod';
import { JobName } from './job.ts';

/** The built-in view of every job; no stored view may take its name. */
export const ALL_VIEW = 'All';

/** A JavaScript regular expression, matched against a job's whole name (as Jenkins does). */
export const IncludeRegex = z
  .string()
  .max(1000, 'must be at most 1000 characters')
  .refine((s) => compiles(s), 'must be a valid JavaScript regular expression');

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

/** The whole-name matcher for a view's includeRegex (null when it has none). */
export function includeMatcher(includeRegex: string | null): ((jobName: string) => boolean) | null {
  if (includeRegex === null) return null;
  const re = new RegExp(`^(?:${includeRegex})$`);
  return (name) => re.test(name);
}

function compiles(source: string): boolean {
  try {
    new RegExp(`^(?:${source})$`);
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
