/**
 * Jenkins' exported objects (Stapler's @ExportedBean) and how `depth=` and `tree=` prune them
 * (hudson/model/Api.java, TreePruner.ByDepth, NamedPathPruner). An object carries its `_class`
 * and, per property, a visibility (default 1; `name`/`url` 999; summary fields 2). With depth D
 * a property at nesting level k (top = 0) is written iff visibility ≥ 1 − D + k, so depth=0 shows
 * the top object whole and nested ones by their summary fields. `tree=` replaces depth: only the
 * named properties, nested objects reduced to `_class` unless they have a selection of their own.
 * A property may be lazy (a function): it is computed only when written.
 */
import type { TreeSpec } from './tree.ts';

const VISIBILITY = Symbol('visibility');
const LAZY = Symbol('lazy');

export interface Exported {
  _class: string;
  [key: string]: unknown;
  [VISIBILITY]?: Record<string, number>;
}

export interface Lazy<T = unknown> {
  [LAZY]: () => Promise<T> | T;
}

/** A value computed only when the pruned answer includes it (a job's builds, a view's jobs). */
export function lazy<T>(compute: () => Promise<T> | T): Lazy<T> {
  return { [LAZY]: compute };
}

/** Properties always shown, however deep (Stapler's visibility 999). */
const ALWAYS = { name: 999, url: 999 };

/** An exported object: `summary` names the properties nested references still show (visibility 2, or the number given). */
export function exported(_class: string, props: Record<string, unknown>, summary: Record<string, number> | string[] = []): Exported {
  const visibility: Record<string, number> = { ...ALWAYS, ...(Array.isArray(summary) ? Object.fromEntries(summary.map((k) => [k, 2])) : summary) };
  return Object.assign({ _class }, props, { [VISIBILITY]: visibility });
}

export interface PruneOptions {
  depth: number;
  tree: TreeSpec | undefined;
}

/** The answer as Jenkins would write it: lazy values resolved where shown, the rest left out. */
export async function prune(value: unknown, opts: PruneOptions): Promise<unknown> {
  return opts.tree ? byTree(value, opts.tree) : byDepth(value, opts.depth, 0);
}

async function resolve(value: unknown): Promise<unknown> {
  return value !== null && typeof value === 'object' && LAZY in value ? (value as Lazy)[LAZY]() : value;
}

async function byDepth(value: unknown, depth: number, level: number): Promise<unknown> {
  value = await resolve(value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => byDepth(v, depth, level)));
  if (value === null || typeof value !== 'object') return value;
  const visibility = (value as Exported)[VISIBILITY] ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== '_class' && (visibility[key] ?? 1) < 1 - depth + level) continue;
    out[key] = await byDepth(v, depth, level + 1);
  }
  return out;
}

async function byTree(value: unknown, spec: TreeSpec | null): Promise<unknown> {
  value = await resolve(value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => byTree(v, spec)));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  if ('_class' in value) out._class = (value as Exported)._class;
  if (!spec) return out;
  for (const [key, node] of spec) {
    if (!Object.hasOwn(value, key)) continue;
    let v = await resolve((value as Record<string, unknown>)[key]);
    if (Array.isArray(v) && node.range) v = v.slice(node.range.from, node.range.to);
    out[key] = await byTree(v, node.children);
  }
  return out;
}

/** Hidden properties (visibility below any depth's threshold): shown only when `tree=` names them (Jenkins' allBuilds). */
export const HIDDEN = -100;

/** Jenkins' api/xml: the root element named after the class, arrays as repeated (singular) elements, nulls left out. */
export function toXml(value: unknown): string {
  const root = value as Exported;
  const simple = (root._class ?? 'object').split(/[.$]/).at(-1)!;
  const tag = simple.charAt(0).toLowerCase() + simple.slice(1);
  return `<?xml version="1.0" encoding="UTF-8"?>${element(tag, value)}`;
}

function element(tag: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  // Stapler names each element of a collection in the singular: <job> of jobs, <build> of builds.
  if (Array.isArray(value)) return value.map((v) => element(tag.endsWith('s') ? tag.slice(0, -1) : tag, v)).join('');
  if (typeof value !== 'object') return `<${tag}>${escapeXml(String(value))}</${tag}>`;
  const { _class, ...rest } = value as Record<string, unknown>;
  const attr = typeof _class === 'string' ? ` _class="${escapeXml(_class)}"` : '';
  const inner = Object.entries(rest).map(([k, v]) => element(k, v)).join('');
  return `<${tag}${attr}>${inner}</${tag}>`;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
