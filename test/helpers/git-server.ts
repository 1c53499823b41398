/**
 * Real git repositories for tests: bare repositories on disk (file://), commits made with git's
 * plumbing (no work tree), a `git` wrapper that records every invocation (to count ls-remote), and
 * a small smart-HTTP server — `git http-backend` as CGI behind Basic authentication — that keeps
 * an access log.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A `git` that logs its arguments (NUL-separated, one line per call) and runs the real git. */
export async function countingGit(root: string): Promise<CountingGit> {
  const path = join(root, 'git-wrapper.sh');
  const log = join(root, 'git-calls.log');
  await writeFile(log, '');
  await writeFile(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\037' "$a"; done >> '${log}'\necho >> '${log}'\nexec /usr/bin/git "$@"\n`);
  await chmod(path, 0o755);
  const calls = async () =>
    (await readFile(log, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\x1f').filter((a) => a !== ''));
  return { path, calls, lsRemotes: async () => (await calls()).filter((c) => c.includes('ls-remote')).length };
}

export interface GitHttpServer {
  /** http://127.0.0.1:port/ — repositories under it by their file name (`name.git`). */
  url: string;
  /** One line per request: `METHOD path user` (user '-' when none was sent). */
  accessLog: string[];
  close(): Promise<void>;
}

/** `git http-backend` over `root`, every request needing Basic `user:password` (else 401 with a challenge). */
export async function gitHttpServer(root: string, user: string, password: string): Promise<GitHttpServer> {
  const accessLog: string[] = [];
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const given = req.headers.authorization ?? '';
    accessLog.push(`${req.method} ${url.pathname} ${given ? Buffer.from(given.replace(/^Basic /, ''), 'base64').toString().split(':')[0] : '-'}`);
    if (given !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const cgi = spawn('/usr/lib/git-core/git-http-backend', [], {
      env: {
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        GIT_CONFIG_NOSYSTEM: '1',
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [k, ...v] = line.split(':');
        if (k!.toLowerCase() === 'status') status = Number.parseInt(v.join(':'), 10);
        else res.setHeader(k!, v.join(':').trim());
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    accessLog,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
