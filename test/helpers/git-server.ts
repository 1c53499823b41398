/**
 * Real git servers on loopback for checkout tests: smart HTTP through `git http-backend` (a CGI
 * program; this small host spawns it per request), with Basic auth for private repositories, and
 * repositories a test commits and pushes to with the real git. Git runs asynchronously here: a
 * server in the test's own process must keep answering while git talks to it.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BACKEND = '/usr/lib/git-core/git-http-backend';
/** Test commits: no user or system config, fixed identities. */
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.org' };

export async function gitIn(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, env: { ...GIT_ENV, ...env }, maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** A bare repository under the server's root and a work tree to commit from. */
export class TestRepo {
  readonly name: string;
  readonly bare: string;
  readonly work: string;
  #clock = 1_700_000_000;
  constructor(name: string, bare: string, work: string) {
    this.name = name;
    this.bare = bare;
    this.work = work;
  }

  /** Writes `files` (path → content; null deletes), commits as `author`, and answers the commit id. */
  async commit(message: string, files: Record<string, string | null>, author = { name: 'Ada Lovelace', email: 'ada@example.org' }): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      if (content === null) await gitIn(this.work, ['rm', '-q', '--', path]);
      else {
        await mkdir(dirname(join(this.work, path)), { recursive: true });
        await writeFile(join(this.work, path), content);
        await gitIn(this.work, ['add', '--', path]);
      }
    }
    const date = `${this.#clock++} +0000`;
    await gitIn(this.work, ['commit', '-q', '--allow-empty', '-m', message], {
      GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email,
      GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date,
    });
    return (await gitIn(this.work, ['rev-parse', 'HEAD'])).trim();
  }

  /** Pushes the work tree's branch (default main) and its tags to the bare repository. */
  async push(branch = 'main'): Promise<void> {
    await gitIn(this.work, ['push', '-q', '--force', '--tags', this.bare, `HEAD:refs/heads/${branch}`]);
  }

  async branch(name: string): Promise<void> {
    await gitIn(this.work, ['checkout', '-q', '-B', name]);
  }
}

export interface GitServer {
  /** http://127.0.0.1:port/ — repositories are at `${url}${name}.git`. */
  url: string;
  root: string;
  /** A new repository (private: Basic auth with `user`/`password` needed). */
  repo(name: string, opts?: { private?: boolean }): Promise<TestRepo>;
  /** Every request's path and Authorization header, in order. */
  requests: { path: string; authorization: string | undefined; user: string | undefined }[];
  /** While set, upload-pack requests wait for it (a test looks at processes meanwhile). */
  hold: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export async function startGitServer(users: Record<string, string> = {}): Promise<GitServer> {
  const root = await mkdtemp(join(tmpdir(), 'jk-git-'));
  const privates = new Set<string>();
  const server: GitServer = {
    url: '',
    root,
    requests: [],
    hold: undefined,
    async repo(name, opts = {}) {
      const bare = join(root, `${name}.git`);
      const work = join(root, 'work', name);
      await mkdir(work, { recursive: true });
      await gitIn(root, ['init', '-q', '--bare', '-b', 'main', bare]);
      await gitIn(work, ['init', '-q', '-b', 'main']);
      if (opts.private) privates.add(name);
      return new TestRepo(name, bare, work);
    },
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await rm(root, { recursive: true, force: true });
    },
  };
  const http = createServer((req, res) => {
    serve(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url!, 'http://x');
    const auth = req.headers.authorization;
    const m = /^Basic (.+)$/.exec(auth ?? '');
    const [user, password] = m ? Buffer.from(m[1]!, 'base64').toString().split(/:(.*)/s) : [];
    server.requests.push({ path: url.pathname + url.search, authorization: auth, user });
    const repo = /^\/([^/]+)\.git\//.exec(url.pathname)?.[1];
    if (repo && privates.has(repo) && !(user !== undefined && users[user] === password)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end('auth needed');
      return;
    }
    if (url.pathname.endsWith('/git-upload-pack') && server.hold) await server.hold();
    if (req.destroyed || res.destroyed) return; // the client went away while held
    const child = spawn(BACKEND, [], {
      env: {
        GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: url.pathname, QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method!,
        CONTENT_TYPE: req.headers['content-type'] ?? '', REMOTE_USER: user ?? '', REMOTE_ADDR: '127.0.0.1', GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''), PATH: process.env.PATH!, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin);
    res.once('close', () => child.kill());
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
      if (end < 0) return;
      const sep = head[end] === 13 ? 4 : 2;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
        const [k, ...v] = line.split(':');
        if (k!.toLowerCase() === 'status') status = Number.parseInt(v.join(':').trim(), 10);
        else headers[k!] = v.join(':').trim();
      }
      res.writeHead(status, headers);
      headersDone = true;
      res.write(head.subarray(end + sep));
    });
    await once(child, 'close');
    res.end();
  }
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  return server;
}
