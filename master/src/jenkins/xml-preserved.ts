/**
 * What Jonkkins keeps of a config.xml it does not understand, and how it is put back.
 *
 * Reading marks every element it maps as *consumed*. Afterwards each element that was not
 * consumed, inside one that was, is kept whole with its place: the path of its parent and the
 * consumed siblings it followed and preceded. Attributes of consumed elements are kept too (`plugin="git@5.2"`).
 * Writing puts each kept element back into the element at the same path, right after the same
 * sibling (when that one is no longer written, right before the one it preceded; else at the end), and adds kept attributes the
 * written element lacks. Paths name each element by its name and its index among the consumed
 * siblings of that name, `project[1]/builders[1]/hudson.tasks.Shell[2]`, so an unknown builder
 * between two shells stays between them.
 *
 * Where Jenkins allows one element of a name in a parent (fields, and the descriptor lists
 * triggers, publishers, wrappers, properties, git extensions), a kept element whose name Jonkkins
 * now writes itself gives way to the written one (a label set in the UI replaces a kept
 * `<assignedNode>`), except for placeholders (`<scm class="hudson.scm.NullSCM"/>`), which give way
 * to a kept element. In lists that repeat names (builders, parameter definitions, bindings…)
 * everything is kept.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { textOf, type XmlElement, type XmlNode } from './xml-tree.ts';

const XmlElementSchema: z.ZodType<XmlElement> = z.lazy(() =>
  z.object({ name: z.string(), attrs: z.array(z.tuple([z.string(), z.string()])), children: z.array(z.union([z.string(), XmlElementSchema])) }),
);

/** The opaque record stored with a job (jobs.config_xml_preserved): the config.xml it came from, less what maps to the job document. */
export const PreservedXml = z.object({
  version: z.literal(1),
  /** `after`: the mapped sibling it followed (null: it came first); `before`: the one it preceded, where it goes when `after` is no longer written. */
  elements: z.array(z.object({ parent: z.string(), after: z.string().nullable(), before: z.string().nullable(), element: XmlElementSchema })),
  attributes: z.array(z.object({ path: z.string(), attrs: z.array(z.tuple([z.string(), z.string()])) })),
});
export type PreservedXml = z.infer<typeof PreservedXml>;

/** Elements a writer adds only to fill a place, which a kept element of the same name takes instead. */
const placeholders = new WeakSet<XmlElement>();
export function placeholder(e: XmlElement): XmlElement {
  placeholders.add(e);
  return e;
}

/** Lists whose children may repeat a name, by the parent's name (and, for `configs`, its parent's). */
function repeats(path: string): boolean {
  const names = path.split('/').map((s) => s.replace(/\[\d+\]$/, ''));
  const [grand, parent] = [names.at(-2), names.at(-1)];
  if (parent === 'configs') return grand === 'hudson.plugins.parameterizedtrigger.BuildTrigger' || grand === 'hudson.plugins.parameterizedtrigger.TriggerBuilder';
  return ['builders', 'parameterDefinitions', 'bindings', 'userRemoteConfigs', 'branches', 'credentialIds', 'a', 'choices'].includes(parent ?? '');
}

/** Reads elements of a config.xml, remembering which ones it mapped. */
export class XmlReader {
  readonly consumed = new Set<XmlElement>();

  /**
   * The child named `name`, now consumed. Everything read this way is one of a kind in its parent
   * (a field, a descriptor's entry): a second one is refused, as Jenkins' XStream refuses a
   * duplicate field, rather than one of them silently winning.
   */
  take(parent: XmlElement, name: string): XmlElement | undefined {
    const [child, twin] = parent.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === name && !this.consumed.has(c));
    if (twin) throw new ValidationError(`config.xml: <${name}> appears more than once in <${parent.name}>`);
    if (child) this.consumed.add(child);
    return child;
  }

  /** Every not yet consumed child for which `accept` answers true, now consumed. */
  takeAll(parent: XmlElement, accept: (e: XmlElement) => boolean): XmlElement[] {
    const taken = parent.children.filter((c): c is XmlElement => typeof c !== 'string' && !this.consumed.has(c) && accept(c));
    for (const c of taken) this.consumed.add(c);
    return taken;
  }

  /** The text of child `name`, undefined when there is none. */
  text(parent: XmlElement, name: string): string | undefined {
    const child = this.take(parent, name);
    return child && textOf(child);
  }

  /** XStream's boolean: "true" in any case is true, anything else false. */
  bool(parent: XmlElement, name: string): boolean | undefined {
    const t = this.text(parent, name);
    return t === undefined ? undefined : t.trim().toLowerCase() === 'true';
  }

  /** A whole number; an empty element is absent; anything else is the caller's `bad(text)`. */
  int(parent: XmlElement, name: string, bad: (text: string) => never): number | undefined {
    const t = this.text(parent, name)?.trim();
    if (t === undefined || t === '') return undefined;
    if (!/^-?\d{1,9}$/.test(t)) bad(t);
    return Number(t);
  }

  /** What was not consumed under `root`, with its place (see the module comment). */
  leftovers(root: XmlElement): PreservedXml {
    const out: PreservedXml = { version: 1, elements: [], attributes: [] };
    const walk = (e: XmlElement, path: string) => {
      // `class` is read and written by the mapping itself.
      const attrs = e.attrs.filter(([n]) => n !== 'class');
      if (attrs.length > 0) out.attributes.push({ path, attrs });
      const counts = new Map<string, number>();
      let after: string | null = null;
      let waiting: PreservedXml['elements'] = [];
      for (const c of e.children) {
        if (typeof c === 'string') continue;
        if (!this.consumed.has(c)) {
          const kept = { parent: path, after, before: null, element: c };
          out.elements.push(kept);
          waiting.push(kept);
          continue;
        }
        const segment = segmentOf(c, counts);
        for (const w of waiting) w.before = segment;
        waiting = [];
        after = segment;
        walk(c, `${path}/${segment}`);
      }
    };
    walk(root, segmentOf(root, new Map()));
    return out;
  }
}

function segmentOf(e: XmlElement, counts: Map<string, number>): string {
  const k = (counts.get(e.name) ?? 0) + 1;
  counts.set(e.name, k);
  return `${e.name}[${k}]`;
}

/** Puts kept elements and attributes back into a written tree (see the module comment); `root` is changed in place. */
export function restore(root: XmlElement, preserved: PreservedXml | undefined): XmlElement {
  if (!preserved) return root;
  const byParent = Map.groupBy(preserved.elements, (e) => e.parent);
  const attrsByPath = new Map(preserved.attributes.map((a) => [a.path, a.attrs]));
  const walk = (e: XmlElement, path: string) => {
    for (const [n, v] of attrsByPath.get(path) ?? []) if (!e.attrs.some(([m]) => m === n)) e.attrs.push([n, v]);
    const counts = new Map<string, number>();
    const segments = new Map<XmlElement, string>();
    for (const c of e.children) {
      if (typeof c === 'string') continue;
      const segment = segmentOf(c, counts);
      segments.set(c, segment);
      walk(c, `${path}/${segment}`);
    }
    let kept = byParent.get(path);
    if (!kept) return;
    let children = e.children;
    if (!repeats(path)) {
      const written = new Map(children.filter((c): c is XmlElement => typeof c !== 'string').map((c) => [c.name, c]));
      kept = kept.filter((k) => {
        const rival = written.get(k.element.name);
        return !rival || placeholders.has(rival);
      });
      const takenOver = new Set(kept.map((k) => k.element.name));
      children = children.filter((c) => typeof c === 'string' || !(placeholders.has(c) && takenOver.has(c.name)));
    }
    type Kept = PreservedXml['elements'][number];
    const placed = new Set<Kept>();
    const next: XmlNode[] = [];
    const written = new Set(children.filter((c) => typeof c !== 'string').map((c) => segments.get(c as XmlElement)!));
    const put = (where: (k: Kept) => boolean) => {
      for (const k of kept!) if (where(k) && !placed.has(k)) (placed.add(k), next.push(k.element));
    };
    put((k) => k.after === null);
    for (const c of children) {
      const segment = typeof c === 'string' ? undefined : segments.get(c)!;
      if (segment) put((k) => k.before === segment && !written.has(k.after!));
      next.push(c);
      if (segment) put((k) => k.after === segment);
    }
    for (const k of kept) if (!placed.has(k)) next.push(k.element);
    e.children = next;
  };
  walk(root, segmentOf(root, new Map()));
  return root;
}
