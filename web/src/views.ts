/** Which jobs a list view shows: the ones it lists by name and those whose whole name matches its regular expression. */
import { RE2JS } from 're2js';
import type { View } from './api/types.ts';

export function jobsInView<J extends { name: string }>(view: View, jobs: J[]): J[] {
  const listed = new Set(view.jobs.map((n) => n.toLowerCase()));
  // RE2, as the master matches: linear in the name, so no pattern can freeze the page.
  let re: RE2JS | null = null;
  try {
    re = view.includeRegex ? RE2JS.compile(view.includeRegex) : null;
  } catch {
    re = null; // the server validates; an old bad one shows only the listed jobs
  }
  return jobs.filter((j) => listed.has(j.name.toLowerCase()) || (re !== null && re.matches(j.name)));
}
