/**
 * `npm run dev`: the web UI from Vite's dev server (hot module replacement, no rebuilds) and
 * `jonkkins start` (master + local agent) restarted by Node whenever the server, agent or shared
 * sources change. Open the URL it prints; API calls and live streams are proxied to the master.
 *
 * PORT (default 8080) is the master's port, JONKKINS_DEV_PORT (default 5173) the UI's. Everything
 * else (JONKKINS_HOME, DATABASE_URL, …) is passed on to `jonkkins start` as usual.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const masterPort = process.env.PORT ?? '8080';
const uiPort = Number(process.env.JONKKINS_DEV_PORT ?? 5173);
const uiUrl = `http://127.0.0.1:${uiPort}/`;

process.env.JONKKINS_DEV_MASTER = `http://127.0.0.1:${masterPort}`;
const vite = await createServer({ configFile: `${root}web/vite.config.ts`, server: { port: uiPort, strictPort: true } });
await vite.listen();

const watched = ['master/src', 'worker/src', 'shared/src', 'bin', 'sql'].flatMap((dir) => ['--watch-path', `${root}${dir}`]);
const server = spawn(process.execPath, [...watched, '--watch-preserve-output', `${root}bin/jonkkins.js`, 'start'], {
  cwd: root,
  stdio: 'inherit',
  // Links in builds (BUILD_URL) and agent commands point at the dev UI; the sources run, never dist/.
  env: { ...process.env, PORT: masterPort, JONKKINS_URL: process.env.JONKKINS_URL ?? uiUrl, JONKKINS_FROM_SOURCE: '1' },
});

console.log(`\n  Jonkkins (dev): open ${uiUrl}  — UI with hot reload; master on :${masterPort} restarts when its sources change\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  server.kill('SIGTERM');
  await vite.close();
};
process.on('SIGINT', stop).on('SIGTERM', stop);
server.on('exit', (code) => {
  void vite.close().finally(() => process.exit(stopping ? 0 : (code ?? 1)));
});
