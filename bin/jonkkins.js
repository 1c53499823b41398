#!/usr/bin/env node
// Plain JavaScript on purpose: an older Node must be able to read this file to say what it needs.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major !== 24 || minor < 12 || !process.features.typescript) {
  console.error(
    `jonkkins: needs Node.js 24 (>= 24.12); this is ${process.version}. ` +
      'Run it through npm (npm start, npm test, npx jonkkins), which uses the Node 24 that npm install put in node_modules, or install Node 24.',
  );
  process.exit(1);
}

/**
 * V8 flags for the commands that keep running (bench/README.md has the measurements). A smaller
 * young generation: the master's garbage is short-lived request data, and a 4 MB semi-space instead
 * of V8's 16 MB keeps ~30 MB less memory resident for a few more (cheap) scavenges. Applied by
 * replacing this process with one started with them (same pid, so signals and supervisors are
 * unaffected), unless node was given a semi-space size already or JONKKINS_NODE_FLAGS=0.
 */
const NODE_FLAGS = ['--max-semi-space-size=4'];
const LONG_RUNNING = ['start', 'master', 'agent'];
if (
  LONG_RUNNING.includes(process.argv[2]) &&
  typeof process.execve === 'function' &&
  process.env.JONKKINS_NODE_FLAGS !== '0' &&
  ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-semi-space-size'))
) {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...NODE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
}

const root = new URL('../', import.meta.url);
const bundle = new URL('dist/jonkkins.js', root);

/** Newest modification time (ms) of the .ts files under `dir`. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built bundle (npm run build:server, run by npm install) when it is newer than every source
 * file — plain JavaScript, so no type stripping at run time — else the TypeScript sources (an
 * edited checkout, or JONKKINS_FROM_SOURCE=1).
 */
function useBundle() {
  if (process.env.JONKKINS_FROM_SOURCE === '1') return false;
  try {
    const built = statSync(bundle).mtimeMs;
    const sources = ['bin', 'master/src', 'worker/src', 'shared/src'].map((d) => newestSource(fileURLToPath(new URL(d, root))));
    return Math.max(...sources) < built;
  } catch {
    return false; // not built
  }
}

await import(useBundle() ? bundle.href : './cli.ts');
