/**
 * Bare git repositories on disk (file://) whose branches a test moves with git's plumbing (no
 * work tree: cheap enough for dozens), and a `git` wrapper that records every invocation (Poll
 * SCM's ls-remote count). A repository over HTTP is git-server.ts's.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await run('git', ['-C', dir, ...args], { env: GIT_ENV })).stdout.trim();
}

export interface BareRepo {
  dir: string;
  /** file:///… */
  url: string;
  /** Adds a commit on `branch` (created from nothing if new); answers its sha. */
  commit(branch: string, message?: string): Promise<string>;
  head(branch: string): Promise<string>;
}

/** A bare repository `<root>/<name>.git` with one commit on `main`. */
export async function bareRepo(root: string, name: string): Promise<BareRepo> {
  const dir = join(root, `${name}.git`);
  await mkdir(dir, { recursive: true });
  await run('git', ['init', '-q', '--bare', dir], { env: GIT_ENV });
  let n = 0;
  const repo: BareRepo = {
    dir,
    url: `file://${dir}`,
    async commit(branch, message = `commit ${++n} on ${branch}`) {
      const parent = await git(dir, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`).catch(() => '');
      const sha = await git(dir, 'commit-tree', EMPTY_TREE, ...(parent ? ['-p', parent] : []), '-m', message);
      await git(dir, 'update-ref', `refs/heads/${branch}`, sha);
      return sha;
    },
    head: (branch) => git(dir, 'rev-parse', `refs/heads/${branch}`),
  };
  await repo.commit('main', 'initial');
  return repo;
}

export interface CountingGit {
  /** The wrapper: give it to the master as its git. */
  path: string;
  /** Every invocation's arguments, one array each. */
  calls(): Promise<string[][]>;
  /** How many `ls-remote` ran. */
  lsRemotes(): Promise<number>;
}

/**
 * A `git` that logs its arguments (each ended by a unit separator, one line per call) and runs the
 * real git. Each call appends its line in one write: git calls run side by side (one ls-remote per
 * repository at once), and a line written piece by piece would interleave with another's.
 */
export async function countingGit(root: string): Promise<CountingGit> {
  const path = join(root, 'git-wrapper.sh');
  const log = join(root, 'git-calls.log');
  await writeFile(log, '');
  await writeFile(path, `#!/bin/sh\nline=$(for a in "$@"; do printf '%s\\037' "$a"; done)\nprintf '%s\\n' "$line" >> '${log}'\nexec /usr/bin/git "$@"\n`);
  await chmod(path, 0o755);
  const calls = async () =>
    (await readFile(log, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\x1f').filter((a) => a !== ''));
  return { path, calls, lsRemotes: async () => (await calls()).filter((c) => c.includes('ls-remote')).length };
}
