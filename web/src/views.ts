/** Which jobs a list view shows: the ones it lists by name and those whose whole name matches its regular expression. */
import type { View } from './api/types.ts';

export function jobsInView<J extends { name: string }>(view: View, jobs: J[]): J[] {
  const listed = new Set(view.jobs.map((n) => n.toLowerCase()));
  let re: RegExp | null = null;
  try {
    re = view.includeRegex ? new RegExp(`^(?:${view.includeRegex})$`) : null;
  } catch {
    re = null; // the server validates; an old bad one shows only the listed jobs
  }
  return jobs.filter((j) => listed.has(j.name.toLowerCase()) || (re !== null && re.test(j.name)));
}
