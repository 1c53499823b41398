/**
 * Keeps the import table of ARCHITECTURE.md true: shared imports nothing of ours, worker never
 * imports master, web imports only types from shared, and no module cycle exists.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDERS = ['shared', 'master', 'worker', 'web', 'bin'];

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) ? [path] : [];
  });
}

function edges(): Edge[] {
  const found: Edge[] = [];
  for (const file of FOLDERS.flatMap((f) => sourceFiles(join(ROOT, f)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      found.push({ from: relative(ROOT, file), to: relative(ROOT, resolve(dirname(file), m[3]!)), typeOnly: Boolean(m[2]) });
    }
    for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      found.push({ from: relative(ROOT, file), to: relative(ROOT, resolve(dirname(file), m[1]!)), typeOnly: false });
    }
  }
  return found;
}

const top = (path: string) => path.split('/')[0]!;

test('the import scan sees the code base (so the checks below cannot pass vacuously)', (t) => {
  const all = edges();
  t.true(all.length > 50);
  t.true(all.some((e) => top(e.from) === 'master' && top(e.to) === 'shared'));
});

test('shared imports nothing of ours outside shared', (t) => {
  const bad = edges().filter((e) => top(e.from) === 'shared' && top(e.to) !== 'shared');
  t.deepEqual(bad, []);
});

test('worker never imports master', (t) => {
  const bad = edges().filter((e) => top(e.from) === 'worker' && top(e.to) === 'master');
  t.deepEqual(bad, []);
});

test('master never imports worker', (t) => {
  const bad = edges().filter((e) => top(e.from) === 'master' && top(e.to) === 'worker');
  t.deepEqual(bad, []);
});

test('web imports only types from shared, and nothing from master or worker', (t) => {
  const bad = edges().filter((e) => top(e.from) === 'web' && (['master', 'worker', 'bin'].includes(top(e.to)) || (top(e.to) === 'shared' && !e.typeOnly)));
  t.deepEqual(bad, []);
});

/** Every cycle of a directed graph given as edges (each once, from where the search met it). */
function cyclesOf(pairs: readonly (readonly [string, string])[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of pairs) graph.set(from, (graph.get(from) ?? new Set()).add(to));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      cycles.push([...path.slice(path.indexOf(node)), node]);
      return;
    }
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}

test('no module imports itself through a cycle', (t) => {
  t.deepEqual(cyclesOf(edges().filter((x) => !x.typeOnly).map((e) => [e.from, e.to] as const)), []);
});

/**
 * Folders inside master/ (and its top-level files, each its own node): which folder's code a
 * folder's code runs. A route file (`*-routes.ts`) belongs to its folder like the rest: an
 * adapter over its services, not a way around the directions.
 */
const masterNode = (path: string) => {
  const rest = path.split('/').slice(2); // master/src/…
  return rest.length > 1 ? `${rest[0]}/` : rest[0]!;
};
const folderEdges = (typeOnly: boolean) =>
  edges().filter((e) => e.from.startsWith('master/src/') && e.to.startsWith('master/src/') && (typeOnly || !e.typeOnly) && masterNode(e.from) !== masterNode(e.to));

const folderCycles = (list: Edge[]) => cyclesOf(list.map((e) => [masterNode(e.from), masterNode(e.to)] as const));

test('the folder scan sees master’s folders (so the folder checks cannot pass vacuously)', (t) => {
  const nodes = new Set(folderEdges(true).flatMap((e) => [masterNode(e.from), masterNode(e.to)]));
  for (const folder of ['builds/', 'jobs/', 'agents/', 'auth/', 'http/', 'app.ts', 'errors.ts']) t.true(nodes.has(folder), folder);
  t.true(folderCycles([{ from: 'master/src/a/x.ts', to: 'master/src/b/y.ts', typeOnly: false }, { from: 'master/src/b/y.ts', to: 'master/src/a/z.ts', typeOnly: false }]).length > 0, 'a planted loop is found');
});

test('no loop among the folders inside master/ (code that runs)', (t) => {
  t.deepEqual(folderCycles(folderEdges(false)), []);
});

test('builds/ and jobs/ do not import each other: builds use jobs, never the reverse (not even types)', (t) => {
  const back = folderEdges(true).filter((e) => masterNode(e.from) === 'jobs/' && masterNode(e.to) === 'builds/');
  t.deepEqual(back, []);
});
