/**
 * Ant-style file patterns, as Jenkins' "Archive the artifacts" and copyartifact's filter use them:
 * a comma- or space-separated list; `*` is any run of characters within a path segment, `?` one
 * character, `**` any number of segments (also none); a pattern ending in `/` means everything
 * below (`dir/` = `dir/**`). Matching is case-sensitive and dot files are ordinary files.
 * Nothing else is special (no braces, brackets, negation or extglobs: Ant has none).
 * The patterns come from job documents, so they are matched by RE2 in time linear in the path:
 * picomatch's backtracking regexes took minutes for `*a*a*a*a*a*a*a*a*b` against a path of 60
 * characters, holding the agent's event loop (its heartbeats too, so the master called it lost).
 *
 * findWorkspaceFiles walks a workspace for such patterns without ever following a symbolic link
 * out of it: directories that are symbolic links are not entered, and a matching symbolic link is
 * archived only when it resolves to a regular file inside the workspace; otherwise it is skipped
 * with a warning.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { RE2JS } from 're2js';
import { workspacePathProblem } from '../../shared/src/workspace-path.ts';

/** Ant's default excludes (Jenkins' defaultExcludes=true): version-control and editor droppings. */
export const DEFAULT_EXCLUDES = [
  '**/*~', '**/#*#', '**/.#*', '**/%*%', '**/._*',
  '**/CVS', '**/CVS/**', '**/.cvsignore', '**/SCCS', '**/SCCS/**', '**/vssver.scc',
  '**/.svn', '**/.svn/**', '**/.DS_Store',
  '**/.git', '**/.git/**', '**/.gitattributes', '**/.gitignore', '**/.gitmodules',
  '**/.hg', '**/.hg/**', '**/.hgignore', '**/.hgsub', '**/.hgsubstate', '**/.hgtags',
  '**/.bzr', '**/.bzr/**', '**/.bzrignore',
];

/** The patterns of a comma- or space-separated list (blank entries dropped). */
export function splitPatterns(list: string): string[] {
  return list
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((p) => {
      let pattern = p.replaceAll('\\', '/');
      while (pattern.startsWith('./')) pattern = pattern.slice(2);
      return pattern.endsWith('/') ? `${pattern}**` : pattern;
    })
    .filter(Boolean);
}

/** A test for '/'-separated relative paths: true when any of the patterns matches. */
export function antMatcher(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const re = RE2JS.compile(patterns.map(antRegex).join('|'));
  return (path) => re.matches(path);
}

/** One Ant pattern as RE2 syntax: `**` is any number of whole segments (also none). */
function antRegex(pattern: string): string {
  const segments = pattern.split('/').filter((s, i, all) => !(s === '**' && all[i - 1] === '**'));
  let re = '';
  let slashDone = true; // nothing to separate from yet
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      // a/** is a and everything below it; **/b is b at any depth.
      re += last ? (i === 0 ? '(?s:.*)' : '(?:/(?s:.*))?') : i === 0 ? '(?:(?s:.*)/)?' : '/(?:(?s:.*)/)?';
      slashDone = true;
      return;
    }
    if (!slashDone) re += '/';
    slashDone = false;
    for (const c of segment) re += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : /[\\.+()|[\]{}^$]/.test(c) ? `\\${c}` : c;
  });
  return `(?:${re})`;
}

/** A regular file found in the workspace: its path in it, and the file to read (a link's target). */
export interface WorkspaceFile {
  path: string;
  /** Absolute; a link's resolved target inside the workspace. */
  file: string;
  size: number;
  /** What was found, so a reader can check it opened that very file. */
  dev: number;
  ino: number;
}

/**
 * The regular files of `workspace` matching `includes` and not `excludes` (nor Ant's default
 * excludes), by path. `warn` hears about every matching entry that is skipped and why.
 */
export async function findWorkspaceFiles(workspace: string, includes: readonly string[], excludes: readonly string[], warn: (message: string) => void): Promise<WorkspaceFile[]> {
  const root = await realpath(workspace);
  const included = antMatcher(includes);
  const allExcludes = [...excludes, ...DEFAULT_EXCLUDES];
  const excluded = antMatcher(allExcludes);
  // A directory matching the part before a trailing /** of an exclude holds nothing to archive.
  const prunedDir = antMatcher(allExcludes.filter((p) => p.endsWith('/**')).map((p) => p.slice(0, -3)));
  const found = new Map<string, WorkspaceFile>();

  const consider = async (path: string, kind: 'file' | 'link' | 'other') => {
    if (!included(path) || excluded(path) || found.has(path)) return;
    const problem = workspacePathProblem(path);
    if (problem) return warn(`skipping ‘${path}’: its name cannot be archived (${problem})`);
    const full = join(root, path);
    if (kind === 'other') return warn(`skipping ‘${path}’: not a regular file`);
    if (kind === 'file') {
      const s = await lstat(full);
      if (s.isFile()) found.set(path, { path, file: full, size: s.size, dev: s.dev, ino: s.ino });
      return;
    }
    let target: string;
    try {
      target = await realpath(full);
    } catch {
      return warn(`skipping ‘${path}’: a symbolic link to nothing`);
    }
    if (!target.startsWith(root + sep)) return warn(`skipping ‘${path}’: a symbolic link that leads out of the workspace`);
    const s = await stat(target);
    if (s.isFile()) found.set(path, { path, file: target, size: s.size, dev: s.dev, ino: s.ino });
    // a link to a directory inside the workspace: its files are archived under their own paths
  };

  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir === '' ? root : join(root, dir), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!prunedDir(path)) await walk(path);
      } else if (entry.isFile()) await consider(path, 'file');
      else if (entry.isSymbolicLink()) await consider(path, 'link');
      else await consider(path, 'other');
    }
  };

  for (const start of await startDirectories(root, includes)) await walk(start);
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Where the walk needs to start: each pattern's literal leading directories (`dist/**` → `dist`),
 * without the ones inside another, and only when they are real directories (not links).
 */
async function startDirectories(root: string, includes: readonly string[]): Promise<string[]> {
  const bases = includes.map((pattern) => {
    const segments = pattern.split('/').slice(0, -1);
    const wild = segments.findIndex((s) => /[*?]/.test(s));
    const literal = wild === -1 ? segments : segments.slice(0, wild);
    // Whole, plain segments only (else walk from the top: the matcher decides).
    return literal.every((s) => s !== '' && s !== '.' && s !== '..') ? literal.join('/') : '';
  });
  const starts = [...new Set(bases)].sort();
  const chosen: string[] = [];
  for (const base of starts) {
    if (chosen.some((c) => c === '' || base === c || base.startsWith(`${c}/`))) continue;
    if (base === '' || (await isRealDirectory(root, base))) chosen.push(base);
  }
  return chosen;
}

async function isRealDirectory(root: string, path: string): Promise<boolean> {
  let dir = root;
  for (const segment of path.split('/')) {
    dir = join(dir, segment);
    const s = await lstat(dir).catch(() => null);
    if (!s?.isDirectory()) return false;
  }
  return true;
}
