/**
 * The git plugin's branch specifiers against a remote's refs (`refs/heads/main`, `refs/tags/v1`):
 * `main`, `*\/main` and `origin/main` name branch main (the one remote is `origin`), `refs/heads/x`
 * and `refs/tags/v*` a full ref, `**` any branch; `*` matches within a path component, `**` across.
 * A sha specifier names no ref: it never moves, so polling never builds it.
 */
import { branchMatcher } from '../../../shared/src/branch-spec.ts';

const isSha = (spec: string) => /^[0-9a-f]{7,64}$/.test(spec);

/** Does branch specifier `spec` name `ref` (a full ref name)? */
export function specMatchesRef(spec: string, ref: string): boolean {
  if (isSha(spec)) return false;
  if (spec.startsWith('refs/')) return branchMatcher(spec)(ref);
  if (spec === '**' || spec === '*') return ref.startsWith('refs/heads/');
  if (!ref.startsWith('refs/heads/')) return false;
  const branch = ref.slice('refs/heads/'.length);
  // `*/main` and `origin/main`: the remote's name, then the branch.
  const remote = /^(\*|origin)\/(.+)$/.exec(spec);
  if (remote) return branchMatcher(remote[2]!)(branch);
  return branchMatcher(spec)(branch);
}

/** The refs of `heads` (ref → sha) that any of `specs` names. */
export function watchedHeads(specs: readonly string[], heads: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ref, sha] of heads) if (specs.some((s) => specMatchesRef(s, ref))) out.set(ref, sha);
  return out;
}
