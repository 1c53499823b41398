/**
 * `npm run build:server` (part of `npm install`'s prepare): the master, the agent and the CLI as
 * one plain-JavaScript file, dist/jonkkins.js, which bin/jonkkins.js runs when it is newer than
 * every source file. Running it, Node strips no types (its TypeScript stripper costs ~40 MB of
 * memory in every process) and reads one file instead of ~150. Packages stay in node_modules.
 *
 * Code that finds files next to itself (`new URL('../../sql/', import.meta.url)`) keeps finding
 * them: each module's `import.meta.url` becomes its own source file's URL, relative to the bundle.
 */
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}dist`;

/** Each module's import.meta.url as where its source lies, seen from the bundle. */
const sourceLocation: Plugin = {
  name: 'source-import-meta-url',
  transform(code, id) {
    if (id.includes('/node_modules/') || !code.includes('import.meta.url')) return null;
    const rel = relative(outDir, id).split('\\').join('/');
    return code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
  },
};

rmSync(outDir, { recursive: true, force: true }); // no chunks of an earlier build left behind
await build({
  input: `${root}bin/cli.ts`,
  platform: 'node',
  // Packages load from node_modules as usual; only our own sources are bundled.
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
  plugins: [sourceLocation],
  logLevel: 'warn',
  // dist/jonkkins.js, plus a chunk per lazy import of bin/cli.ts (so --help loads no master).
  output: { dir: outDir, entryFileNames: 'jonkkins.js', chunkFileNames: '[name]-[hash].js', format: 'esm' },
});
