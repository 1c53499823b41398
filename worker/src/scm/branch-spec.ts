/**
 * Jenkins' branch specifiers (the git plugin's BranchSpec and DefaultBuildChooser): which fetched
 * ref a job builds. `*` matches within one path component, `**` across them; a name without `/`
 * means any remote's branch of that name (`main` = `* /main`); `refs/heads/x` is the remote's
 * branch x; `refs/tags/v*` matches tags; 7–64 hex digits name a commit.
 */
import { branchMatcher } from '../../../shared/src/branch-spec.ts';

export const REMOTE = 'origin';

/** A fetched ref: `origin/main` for a remote branch, `refs/tags/v1` for a tag; its commit. */
export interface FetchedRef {
  name: string;
  commit: string;
}

export interface Chosen {
  commit: string;
  /** GIT_BRANCH: the ref's name, or `detached` for a commit specifier. */
  branch: string;
}

/** The names a remote branch or tag answers to, as Jenkins users write them. */
function aliases(ref: FetchedRef): string[] {
  if (ref.name.startsWith('refs/')) return [ref.name];
  const local = ref.name.slice(REMOTE.length + 1);
  return [ref.name, `refs/remotes/${ref.name}`, `remotes/${ref.name}`, `refs/heads/${local}`];
}

/**
 * The refs one specifier matches, by name. `refs/heads/x` and plain names are matched against the
 * remote's branches; `refs/tags/…` against tags.
 */
export function matchingRefs(spec: string, refs: readonly FetchedRef[]): FetchedRef[] {
  const qualified = !spec.includes('/') && !spec.includes('**') ? `*/${spec}` : spec;
  const matches = branchMatcher(qualified);
  return refs.filter((r) => aliases(r).some(matches)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The first specifier that matches something decides. Of several refs it matches, the first (by
 * name) whose commit was not built last time for that branch, else the first (Jenkins builds
 * revisions not yet built). `resolveCommit` answers a commit specifier's full id, or null.
 */
export async function chooseRevision(
  specs: readonly string[],
  refs: readonly FetchedRef[],
  lastBuilt: (branch: string) => string | undefined,
  resolveCommit: (sha: string) => Promise<string | null>,
): Promise<Chosen | null> {
  for (const spec of specs) {
    const found = matchingRefs(spec, refs);
    if (found.length > 0) {
      const pick = found.find((r) => lastBuilt(r.name) !== r.commit) ?? found[0]!;
      return { commit: pick.commit, branch: pick.name };
    }
    if (/^[0-9a-f]{7,64}$/.test(spec)) {
      const commit = await resolveCommit(spec);
      if (commit) return { commit, branch: 'detached' };
    }
  }
  return null;
}
