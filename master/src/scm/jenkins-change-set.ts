/**
 * A build's change set as Jenkins' REST API shows it (`changeSet` of /job/X/N/api/json with the
 * git plugin: hudson.plugins.git.GitChangeSetList of GitChangeSet items), for the
 * Jenkins-compatible API; without a checkout, Jenkins' empty hudson.scm.EmptyChangeLogSet.
 */
import type { ChangeSet } from '../../../shared/src/scm.ts';

/** Jenkins' GitChangeSet date: `2026-12-02 01:15:16 +0000`. */
function gitDate(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000`;
}

/** `root`: the public URL ending in `/` (authors' absoluteUrl is `${root}user/<name>`). */
export function jenkinsChangeSet(root: string, changeSet: ChangeSet | null | undefined) {
  if (!changeSet) return { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null };
  return {
    _class: 'hudson.plugins.git.GitChangeSetList',
    items: changeSet.items.map((c) => ({
      _class: 'hudson.plugins.git.GitChangeSet',
      affectedPaths: c.paths.map((p) => p.file),
      commitId: c.commitId,
      timestamp: c.timestamp,
      author: { absoluteUrl: `${root}user/${encodeURIComponent(c.authorName)}`, fullName: c.authorName },
      authorEmail: c.authorEmail,
      comment: `${c.message}\n`,
      date: gitDate(c.timestamp),
      id: c.commitId,
      msg: c.message.split('\n')[0] ?? '',
      paths: c.paths.map((p) => ({ editType: p.editType, file: p.file })),
    })),
    kind: 'git',
  };
}
