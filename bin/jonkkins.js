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
 * Memory settings for the commands that keep running (bench/README.md has the measurements),
 * applied by replacing this process with one started with them — same pid, so signals and
 * supervisors are unaffected — unless JONKKINS_NODE_FLAGS=0:
 *  - V8, the master (`master`, `start`): a 1 MB semi-space, and a full collection once the heap
 *    has grown 5 % past what the last one kept instead of letting it double: its garbage is
 *    short-lived request data and console uploads, and its RSS otherwise went past 150 MB (to
 *    177–230 MB while 1,000 builds ran, around ~40 MB of live objects). --optimize-for-size
 *    kept RSS a little lower still, but cost ~15 % more master CPU per build than these two.
 *  - V8, the agent: a 1 MB semi-space and no V8 helper threads (--single-threaded). Every build
 *    step is a fork of the agent, after which each page the agent writes is a copy-on-write fault
 *    and, while other threads of the process run on another CPU, a TLB shootdown: fewer pages
 *    written between forks and no GC threads cut its CPU per build by about a quarter on a VM
 *    where faults are dear (page faults per build 315–343 → 218–223). It holds little.
 *  A flag given to node itself (NODE_OPTIONS, command line) replaces ours of the same name.
 *  - glibc malloc: one arena, and buffers of 128 KiB and more always mapped and unmapped, so the
 *    megabytes of a console upload go back to the system once freed (unless already set). The
 *    re-executed process removes these from its environment: build steps, PostgreSQL and Redis
 *    must not inherit them.
 */
const MASTER_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=5'];
const NODE_FLAGS = { master: MASTER_FLAGS, start: MASTER_FLAGS, agent: ['--max-semi-space-size=1', '--single-threaded'] };
const MALLOC_ENV = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' };
const command = process.argv[2];
if (process.env.JONKKINS_UNSET_ENV !== undefined) {
  for (const name of process.env.JONKKINS_UNSET_ENV.split(',')) delete process.env[name];
  delete process.env.JONKKINS_UNSET_ENV;
} else if (Object.hasOwn(NODE_FLAGS, command) && typeof process.execve === 'function' && process.env.JONKKINS_NODE_FLAGS !== '0') {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const named = (flag) => flag.replace(/^--(no-)?/, '').split('=')[0];
  const flags = NODE_FLAGS[command].filter((flag) => !given.some((g) => g.startsWith('--') && named(g) === named(flag)));
  const added = Object.entries(MALLOC_ENV).filter(([name]) => process.env[name] === undefined);
  const env = { ...process.env, ...Object.fromEntries(added), JONKKINS_UNSET_ENV: added.map(([name]) => name).join(',') };
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], env);
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
