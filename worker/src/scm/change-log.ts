/**
 * The commits since a branch's previous build (Jenkins' changelog): those reachable from the new
 * commit and not from the previous one, newest first, with author, time, message and the files
 * each touched. Bounded: at most MAX_CHANGES commits (Jenkins' changelog stops near there in
 * practice), MAX_CHANGE_PATHS files each, messages cut at MAX_CHANGE_MESSAGE characters, and the
 * whole report within MAX_CHECKOUT_REPORT_BYTES (the oldest commits go first); what is left out is counted.
 */
import { randomBytes } from 'node:crypto';
import { MAX_CHANGE_MESSAGE, MAX_CHANGE_PATHS, MAX_CHANGES, MAX_CHECKOUT_REPORT_BYTES, type ChangeSetItem } from '../../../shared/src/scm.ts';
import { git, type GitContext } from './git-command.ts';

export interface ChangeLog {
  changes: ChangeSetItem[];
  /** Commits not listed. */
  more: number;
}

/**
 * `git log` of `previous..commit`, parsed; null when `previous` is not in the clone (git refuses
 * the range). Both are full commit ids.
 */
export async function readChangeLog(ctx: GitContext, previous: string, commit: string): Promise<ChangeLog | null> {
  const marker = `jk-${randomBytes(12).toString('hex')}`;
  const { code, stdout } = await git(
    ctx,
    ['log', '--no-abbrev', '--raw', '-M', '--no-color', '-z', `--max-count=${MAX_CHANGES + 1}`, `--format=${marker}%x00%H%x00%an%x00%ae%x00%at%x00%B`, commit, `^${previous}`, '--'],
    { capture: true, show: false, allowFailure: true },
  );
  if (code !== 0) return null;
  const changes = parseLog(stdout.toString('utf8'), marker);
  let more = 0;
  if (changes.length > MAX_CHANGES) {
    // One more than the bound was asked for, to know there are more; how many costs a count.
    const counted = await git(ctx, ['rev-list', '--count', commit, `^${previous}`, '--'], { capture: true, show: false });
    more = Number(counted.stdout.toString().trim()) - MAX_CHANGES;
    changes.length = MAX_CHANGES;
  }
  while (changes.length > 0 && Buffer.byteLength(JSON.stringify(changes)) > MAX_CHECKOUT_REPORT_BYTES - 4096) {
    changes.pop();
    more++;
  }
  return { changes, more };
}

/** Parses `git log -z --raw` output whose records start with `marker`. */
export function parseLog(out: string, marker: string): ChangeSetItem[] {
  const tokens = out.split('\0');
  const items: ChangeSetItem[] = [];
  let current: ChangeSetItem | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!.replace(/^\n/, '');
    if (token === marker) {
      const [commitId, authorName, authorEmail, at, message] = tokens.slice(i + 1, i + 6);
      i += 5;
      const body = (message ?? '').replace(/\n+$/, '');
      current = {
        commitId: commitId!,
        authorName: cut(authorName ?? '', 256),
        authorEmail: cut(authorEmail ?? '', 256),
        timestamp: Number(at) * 1000,
        message: body.length > MAX_CHANGE_MESSAGE ? `${body.slice(0, MAX_CHANGE_MESSAGE)}…` : body,
        paths: [],
        morePaths: 0,
      };
      items.push(current);
      continue;
    }
    if (!current || !token.startsWith(':')) continue;
    // ":100644 100644 <sha> <sha> R100" then the path, and for renames and copies the new path.
    const status = token.split(' ').at(-1) ?? '';
    const from = tokens[++i] ?? '';
    const to = status[0] === 'R' || status[0] === 'C' ? (tokens[++i] ?? '') : undefined;
    const entries: ChangeSetItem['paths'] =
      status[0] === 'R' ? [{ editType: 'delete', file: from }, { editType: 'add', file: to! }]
      : status[0] === 'C' ? [{ editType: 'add', file: to! }]
      : [{ editType: status[0] === 'A' ? 'add' : status[0] === 'D' ? 'delete' : 'edit', file: from }];
    for (const e of entries) {
      if (e.file === '' || e.file.length > 4096) continue;
      if (current.paths.length < MAX_CHANGE_PATHS) current.paths.push(e);
      else current.morePaths++;
    }
  }
  return items;
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);
