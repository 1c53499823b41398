/**
 * Reads V8 .cpuprofile files (node --cpu-prof) and says where the time went: self time by
 * module (package, our source file, node internals, GC) and by function, and inclusive time of
 * our own functions (each sample counted once per function on its stack).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  byModule: [string, number][];
  selfByFunction: [string, number][];
  /** Only functions of this repository (master/, worker/, shared/, bin/). */
  inclusiveOurs: [string, number][];
}

const ROOT = new URL('../', import.meta.url).href;

function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith(ROOT)) return url.slice(ROOT.length);
  if (url.startsWith('node:')) return url;
  return url;
}

const where = (n: ProfileNode) => {
  const url = n.callFrame.url.startsWith(ROOT) ? n.callFrame.url.slice(ROOT.length) : n.callFrame.url.replace(/^.*\/node_modules\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};

const top = (m: Map<string, number>, n: number): [string, number][] =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, Math.round(v)]);

export function summarizeProfile(path: string, limit = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfMs.set(p.samples[i]!, (selfMs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);

  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, ms] of selfMs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    busy += ms;
    const mod = moduleOf(n.callFrame.url, n.callFrame.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
    byFunction.set(where(n), (byFunction.get(where(n)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!;
      if (!node.callFrame.url.startsWith(ROOT) || node.callFrame.url.includes('/node_modules/')) continue;
      const key = where(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  return { busyMs: Math.round(busy), byModule: top(byModule, limit), selfByFunction: top(byFunction, limit), inclusiveOurs: top(inclusive, limit) };
}

export function renderProfile(title: string, s: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%`;
  const rows = (list: [string, number][]) => list.map(([k, ms]) => `    ${String(ms).padStart(7)} ms ${pct(ms)}  ${k}`);
  return [
    `${title}: ${s.busyMs} ms of CPU sampled (idle excluded)`,
    '  self time by module:',
    ...rows(s.byModule),
    '  self time by function:',
    ...rows(s.selfByFunction),
    '  inclusive time, functions of this repository:',
    ...rows(s.inclusiveOurs),
  ].join('\n');
}
