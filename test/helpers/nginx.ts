/**
 * The real Debian nginx running infra/nginx.conf in front of a test master: the file's "EDIT"
 * lines (listen, root, upstream, pid and logs) are pointed at a temporary directory; everything
 * else is the production configuration as shipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopProcess, until } from './processes.ts';

export const NGINX_CONF = fileURLToPath(new URL('../../infra/nginx.conf', import.meta.url));
export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/** Replaces exactly one directive line matching `pattern`; a config that no longer has it fails loudly. */
function rewrite(conf: string, pattern: RegExp, line: string): string {
  const matches = conf.match(new RegExp(pattern.source, 'gm'));
  if (matches?.length !== 1) throw new Error(`infra/nginx.conf: expected one line matching ${pattern}, found ${matches?.length ?? 0}`);
  return conf.replace(new RegExp(pattern.source, 'm'), line);
}

export async function startNginx(opts: { masterUrl: string; webDist: string; port?: number }): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-nginx-'));
  await chmod(dir, 0o755);
  // nginx's workers run as an unprivileged user: serve a world-readable copy of the UI.
  const root = join(dir, 'dist');
  await cp(opts.webDist, root, { recursive: true });
  const port = opts.port ?? (await freePort());
  const master = new URL(opts.masterUrl);
  let conf = await readFile(NGINX_CONF, 'utf8');
  conf = rewrite(conf, /^\s*pid .*;.*$/, `pid ${dir}/nginx.pid;`);
  conf = rewrite(conf, /^\s*error_log .*;.*$/, `error_log ${dir}/error.log warn;`);
  conf = rewrite(conf, /^\s*access_log .*;.*$/, `access_log ${dir}/access.log;`);
  conf = rewrite(conf, /^\s*server 127\.0\.0\.1:8080;.*$/, `server ${master.host};`);
  conf = rewrite(conf, /^\s*listen 80;.*$/, `listen 127.0.0.1:${port};`);
  conf = rewrite(conf, /^\s*root .*;.*$/, `root ${root};`);
  // Temporary files of our own (the defaults are under /var/lib/nginx).
  conf = conf.replace(/^http \{$/m, `http {\n  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`);
  await writeFile(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX_BIN, ['-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await until('nginx to answer', async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true, 10_000, 50);
  return {
    url,
    async stop() {
      await stopProcess(child, 5000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
