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

test('no module imports itself through a cycle', (t) => {
  const graph = new Map<string, string[]>();
  for (const e of edges().filter((x) => !x.typeOnly)) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
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
  t.deepEqual(cycles, []);
});
