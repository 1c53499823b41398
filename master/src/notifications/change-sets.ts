/**
 * A build's change set (the commits its git checkout brought since the branch's previous build),
 * as the notifiers read it: who, what, which paths. scm/checkouts.ts records it; this is the one
 * place notifications read it from.
 */
import type { CommonQueryMethods } from 'slonik';
import { buildCheckout } from '../scm/checkouts.ts';

export interface ChangeEntry {
  commitId: string;
  authorName: string;
  authorEmail: string;
  /** The commit message's first line. */
  title: string;
  paths: string[];
}

/** The build's changes, oldest first (none for a build that checked nothing out). */
export async function changesOf(db: CommonQueryMethods, buildId: number): Promise<ChangeEntry[]> {
  const checkout = await buildCheckout(db, buildId);
  if (!checkout) return [];
  return checkout.changeSet.items
    .map((c) => ({ commitId: c.commitId, authorName: c.authorName, authorEmail: c.authorEmail, title: c.message.split('\n')[0] ?? '', paths: c.paths.map((p) => p.file) }))
    .reverse();
}
