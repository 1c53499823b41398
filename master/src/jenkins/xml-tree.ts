/**
 * A small XML element tree for Jenkins' config.xml: parsed safely, written back in Jenkins' layout.
 *
 * Safety: the text is at most MAX_XML_BYTES, elements nest at most MAX_XML_DEPTH deep, an
 * attribute value is at most MAX_ATTRIBUTE_CHARS; any DOCTYPE is refused (so no entity is ever
 * declared, no external DTD is ever named), only the five predefined entities and character
 * references exist (saxes refuses any other), and parsing is one linear pass. Each breach is a
 * ValidationError (400) that says which bound.
 */
import { SaxesParser } from 'saxes';
import { ValidationError } from '../errors.ts';

export const MAX_XML_BYTES = 1024 * 1024;
export const MAX_XML_DEPTH = 100;
export const MAX_ATTRIBUTE_CHARS = 10_000;

export interface XmlElement {
  name: string;
  /** In document order. */
  attrs: [string, string][];
  children: XmlNode[];
}
/** Text is only kept where it is an element's sole content or mixed with elements (never whitespace between elements). */
export type XmlNode = XmlElement | string;

/** Parses `xml` into its root element; comments and processing instructions are dropped. */
export function parseXml(xml: string): XmlElement {
  if (Buffer.byteLength(xml) > MAX_XML_BYTES) throw new ValidationError(`config.xml must be at most ${MAX_XML_BYTES} bytes`);
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (message: string): never => {
    throw new ValidationError(`config.xml is not acceptable XML: ${message}`);
  };
  parser.on('doctype', () => fail('a DOCTYPE is not allowed (no DTDs, no entity declarations)'));
  parser.on('opentag', (tag) => {
    if (stack.length >= MAX_XML_DEPTH) fail(`elements nest deeper than ${MAX_XML_DEPTH} levels`);
    const attrs = Object.entries(tag.attributes as Record<string, string>);
    for (const [name, value] of attrs) {
      if (value.length > MAX_ATTRIBUTE_CHARS) fail(`attribute '${name}' of <${tag.name}> is longer than ${MAX_ATTRIBUTE_CHARS} characters`);
    }
    const element: XmlElement = { name: tag.name, attrs, children: [] };
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    const done = stack.pop()!;
    // Whitespace between child elements is layout, not content.
    if (done.children.some((c) => typeof c !== 'string')) done.children = done.children.filter((c) => typeof c !== 'string' || c.trim() !== '');
    done.children = mergeTexts(done.children);
  });
  const text = (t: string) => {
    const parent = stack.at(-1);
    if (parent) parent.children.push(t);
  };
  parser.on('text', text);
  parser.on('cdata', text);
  parser.on('error', (err) => fail(err.message));
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    fail((err as Error).message);
  }
  if (!root) fail('no root element');
  return root!;
}

function mergeTexts(nodes: XmlNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const n of nodes) {
    const last = out.at(-1);
    if (typeof n === 'string' && typeof last === 'string') out[out.length - 1] = last + n;
    else out.push(n);
  }
  return out;
}

/** An element's text content (its text children joined), '' when it has none. */
export function textOf(el: XmlElement): string {
  return el.children.filter((c): c is string => typeof c === 'string').join('');
}

/** The first child element named `name`. */
export function child(e: XmlElement, name: string): XmlElement | undefined {
  return e.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

export function attr(el: XmlElement, name: string): string | undefined {
  return el.attrs.find(([n]) => n === name)?.[1];
}

/** Builds an element: `children` are elements, or one string for a text element. */
export function el(name: string, children: XmlNode[] | string = [], attrs: [string, string][] = []): XmlElement {
  return { name, attrs, children: typeof children === 'string' ? (children === '' ? [] : [children]) : children };
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xd;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#xa;').replace(/\t/g, '&#x9;');

/** Writes an element as Jenkins does: two-space indentation, `<x/>` when empty, text unindented. */
export function writeXml(root: XmlElement): string {
  const out: string[] = ["<?xml version='1.1' encoding='UTF-8'?>\n"];
  const write = (e: XmlElement, indent: string) => {
    const attrs = e.attrs.map(([n, v]) => ` ${n}="${escapeAttr(v)}"`).join('');
    if (e.children.length === 0) {
      out.push(`${indent}<${e.name}${attrs}/>\n`);
      return;
    }
    if (e.children.every((c) => typeof c === 'string')) {
      out.push(`${indent}<${e.name}${attrs}>${escapeText(e.children.join(''))}</${e.name}>\n`);
      return;
    }
    if (e.children.some((c) => typeof c === 'string')) {
      // Mixed content: written inline, so no layout whitespace joins its text.
      out.push(`${indent}${inline(e)}\n`);
      return;
    }
    out.push(`${indent}<${e.name}${attrs}>\n`);
    for (const c of e.children) write(c as XmlElement, `${indent}  `);
    out.push(`${indent}</${e.name}>\n`);
  };
  write(root, '');
  return out.join('');
}

function inline(e: XmlElement): string {
  const attrs = e.attrs.map(([n, v]) => ` ${n}="${escapeAttr(v)}"`).join('');
  const inner = e.children.map((c) => (typeof c === 'string' ? escapeText(c) : inline(c))).join('');
  return inner === '' ? `<${e.name}${attrs}/>` : `<${e.name}${attrs}>${inner}</${e.name}>`;
}

/** One element as text (no declaration), as kept for the elements Jonkkins does not understand. */
export function elementXml(e: XmlElement): string {
  return writeXml(e).replace(/^<\?xml[^>]*\?>\n/, '').trimEnd();
}
