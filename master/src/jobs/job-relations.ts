/**
 * Jenkins' dependency graph, as `upstreamProjects` / `downstreamProjects` of a job: an edge A → B
 * when A's triggerBuilds or buildOtherProjects publishers or triggerBuilds steps name B, or B's
 * "build after other projects are built" names A. Names holding `$VAR`s are resolved against no
 * environment, as Jenkins does for its graph: they only count if a job has that very name.
 */
import type { Job } from '../../../shared/src/job.ts';

/** Comma-separated project names, trimmed, blanks dropped. */
export const projectList = (text: string) => text.split(',').map((p) => p.trim()).filter(Boolean);

/** Jobs `job` triggers by its own configuration (lower-cased names). */
function namedDownstream(job: Job): string[] {
  const lists = [
    ...job.publishers.flatMap((p) => (p.type === 'triggerBuilds' || p.type === 'buildOtherProjects' ? [p.projects] : [])),
    ...job.steps.flatMap((s) => (s.type === 'triggerBuilds' ? [s.projects] : [])),
  ];
  return lists.flatMap(projectList).map((n) => n.toLowerCase());
}

const namedUpstream = (job: Job) => (job.triggers.upstream ? projectList(job.triggers.upstream.projects).map((n) => n.toLowerCase()) : []);

/** `name`'s neighbours among `jobs` (every job), each list sorted, as the jobs spell their names. */
export function jobRelations(name: string, jobs: readonly Job[]): { upstreamProjects: string[]; downstreamProjects: string[] } {
  const self = jobs.find((j) => j.name.toLowerCase() === name.toLowerCase());
  const key = name.toLowerCase();
  const down = new Set(self ? namedDownstream(self) : []);
  const up = new Set(self ? namedUpstream(self) : []);
  const upstreamProjects: string[] = [];
  const downstreamProjects: string[] = [];
  for (const other of jobs) {
    const k = other.name.toLowerCase();
    if (down.has(k) || namedUpstream(other).includes(key)) downstreamProjects.push(other.name);
    if (up.has(k) || namedDownstream(other).includes(key)) upstreamProjects.push(other.name);
  }
  const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());
  return { upstreamProjects: upstreamProjects.sort(byName), downstreamProjects: downstreamProjects.sort(byName) };
}
