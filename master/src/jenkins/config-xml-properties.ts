/**
 * `<properties>` of a config.xml: parameters (ParametersDefinitionProperty), "Discard old builds"
 * (BuildDiscarderProperty with a LogRotator, or the old top-level `<logRotator>`) and the job's
 * environment (EnvInject's EnvInjectJobProperty, Java-properties text).
 */
import { parse as parseJavaProperties, stringify as writeJavaProperties } from 'dot-properties';
import type { Job, ParameterDefinition } from '../../../shared/src/job.ts';
import { defined } from './config-xml-values.ts';
import { attr, child, el, textOf, type XmlElement } from './xml-tree.ts';
import type { ReadContext } from './config-xml.ts';

const P = 'hudson.model.';
const parameterTypes: Record<string, ParameterDefinition['type']> = {
  [`${P}StringParameterDefinition`]: 'string',
  [`${P}TextParameterDefinition`]: 'text',
  [`${P}BooleanParameterDefinition`]: 'boolean',
  [`${P}ChoiceParameterDefinition`]: 'choice',
  [`${P}PasswordParameterDefinition`]: 'password',
  [`${P}FileParameterDefinition`]: 'file',
  [`${P}RunParameterDefinition`]: 'run',
};
const elementOfType = Object.fromEntries(Object.entries(parameterTypes).map(([k, v]) => [v, k])) as Record<ParameterDefinition['type'], string>;

/** A Secret another Jenkins encrypted (`{AQAAABAAAAA…}`): Jonkkins cannot read it, so the element is kept as it was and not used. */
const JENKINS_SECRET = /^\{[A-Za-z0-9+/]{20,}={0,2}\}$/;

export function readProperties({ r, fail }: ReadContext, root: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = child(root, 'properties');
  const discarder = properties && r.take(properties, 'jenkins.model.BuildDiscarderProperty');
  const strategy = discarder ? r.take(discarder, 'strategy') : r.take(root, 'logRotator');
  if (strategy && (attr(strategy, 'class') ?? 'hudson.tasks.LogRotator') === 'hudson.tasks.LogRotator') {
    const keep = (name: string) => {
      const n = r.int(strategy, name, (t) => fail(`<${name}> of the LogRotator`, `must be a whole number, not '${t}'`));
      return n === undefined || n === -1 ? undefined : n;
    };
    const numToKeep = keep('numToKeep');
    const daysToKeep = keep('daysToKeep');
    out.buildDiscarder = numToKeep === undefined && daysToKeep === undefined ? null : defined({ numToKeep, daysToKeep });
  } else if (strategy) {
    r.consumed.delete(strategy); // another strategy: kept as it is
    if (discarder) r.consumed.delete(discarder);
  }
  if (!properties) return out;

  const definitions = r.take(properties, `${P}ParametersDefinitionProperty`);
  const list = definitions && r.take(definitions, 'parameterDefinitions');
  if (list) out.parameters = r.takeAll(list, (e) => e.name in parameterTypes).map((e) => readParameter({ r, fail }, e));

  const inject = r.take(properties, 'EnvInjectJobProperty');
  const info = inject && r.take(inject, 'info');
  const content = info && r.text(info, 'propertiesContent');
  if (content !== undefined) out.env = Object.fromEntries(Object.entries(parseJavaProperties(content)).map(([k, v]) => [k, String(v)]));
  if (inject) r.take(inject, 'on');
  return out;
}

function readParameter({ r, fail }: ReadContext, e: XmlElement): Record<string, unknown> {
  const type = parameterTypes[e.name]!;
  const p: Record<string, unknown> = { type, name: r.text(e, 'name') ?? '' };
  const description = r.text(e, 'description');
  if (description) p.description = description;
  if (type === 'string' || type === 'text') {
    const d = r.text(e, 'defaultValue');
    if (d !== undefined) p.default = d;
    const trim = r.bool(e, 'trim');
    if (trim !== undefined) p.trim = trim;
  } else if (type === 'boolean') {
    const d = r.bool(e, 'defaultValue');
    if (d !== undefined) p.default = d;
  } else if (type === 'password') {
    const d = child(e, 'defaultValue');
    if (d && !JENKINS_SECRET.test(textOf(d).trim())) p.default = r.text(e, 'defaultValue');
  } else if (type === 'run') {
    // A <runId> (a fixed default build) has no Jonkkins field: kept, not used.
    p.projectName = r.text(e, 'projectName')?.trim() ?? '';
    const filter = r.text(e, 'filter')?.trim();
    if (filter) p.filter = filter;
  } else if (type === 'choice') {
    p.choices = readChoices(r, e, fail);
    const d = r.text(e, 'defaultValue');
    if (d) p.default = d;
  }
  return p;
}

/** Choices come as JJB's `<choices class="java.util.Arrays$ArrayList"><a class="string-array"><string>…`, a plain `<choices><string>…`, or newline-separated text. */
function readChoices(r: ReadContext['r'], e: XmlElement, fail: ReadContext['fail']): string[] {
  const choices = r.take(e, 'choices');
  if (!choices) fail(`<${e.name}>`, 'has no <choices>');
  const strings = (parent: XmlElement) => r.takeAll(parent, (c) => c.name === 'string').map(textOf);
  const array = r.take(choices!, 'a');
  if (array) return strings(array);
  const listed = strings(choices!);
  if (listed.length > 0) return listed;
  return textOf(choices!).split(/\r?\n/).filter((c) => c !== '');
}

export function writeProperties(job: Job): XmlElement {
  const properties: XmlElement[] = [];
  if (job.buildDiscarder) {
    const { numToKeep, daysToKeep } = job.buildDiscarder;
    // artifactDaysToKeep/artifactNumToKeep are not written: absent is Jenkins' -1, and kept ones come back.
    const strategy = el('strategy', [el('daysToKeep', String(daysToKeep ?? -1)), el('numToKeep', String(numToKeep ?? -1))], [['class', 'hudson.tasks.LogRotator']]);
    properties.push(el('jenkins.model.BuildDiscarderProperty', [strategy]));
  }
  if (job.parameters.length > 0) {
    properties.push(el(`${P}ParametersDefinitionProperty`, [el('parameterDefinitions', job.parameters.map(writeParameter))]));
  }
  if (Object.keys(job.env).length > 0) {
    const content = writeJavaProperties(job.env, { lineWidth: null }).trimEnd();
    properties.push(el('EnvInjectJobProperty', [el('info', [el('propertiesContent', content)]), el('on', 'true')]));
  }
  return el('properties', properties);
}

function writeParameter(p: ParameterDefinition): XmlElement {
  const children: XmlElement[] = [el('name', p.name)];
  if (p.description) children.push(el('description', p.description));
  if (p.type === 'string' || p.type === 'text') {
    if (p.default !== undefined) children.push(el('defaultValue', p.default));
    if (p.trim !== undefined) children.push(el('trim', String(p.trim)));
  } else if (p.type === 'boolean') {
    if (p.default !== undefined) children.push(el('defaultValue', String(p.default)));
  } else if (p.type === 'password') {
    if (p.default !== undefined) children.push(el('defaultValue', p.default));
  } else if (p.type === 'run') {
    children.push(el('projectName', p.projectName), el('filter', p.filter));
  } else if (p.type === 'choice') {
    const strings = p.choices.map((c) => el('string', c));
    children.push(el('choices', [el('a', strings, [['class', 'string-array']])], [['class', 'java.util.Arrays$ArrayList']]));
    if (p.default !== undefined) children.push(el('defaultValue', p.default));
  }
  return el(elementOfType[p.type], children);
}
