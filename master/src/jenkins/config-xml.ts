/**
 * config.xml ⇄ job document, for freestyle projects (Jenkins' `<project>`).
 *
 * parseConfigXml maps what Jonkkins understands onto a job document (shared/src/job.ts) and keeps
 * everything else, untouched, in `preserved` (xml-preserved.ts); renderConfigXml writes a job
 * back as Jenkins would, with the preserved elements in their places. The guarantee, tested on
 * Jenkins' and JJB's XML (test/master/config-xml*.test.ts):
 * - parse(render(parse(x))) equals parse(x): the same document and the same preserved record;
 * - render(parse(x)) holds every element of x that Jonkkins does not map, byte for byte as
 *   written back (its subtree, attributes and text), in the same parent, after the same mapped
 *   sibling; mapped elements are written in Jenkins' order with Jenkins' names, and attributes of
 *   mapped elements (`plugin="…"`) are kept. What changes: layout whitespace, the XML declaration,
 *   comments and processing instructions (dropped), and the spelling of mapped values (`True` →
 *   `true`, the JJB form of a choice list).
 * What cannot be expressed (two git remotes, an invalid label or cron spec, a threshold Jonkkins
 * lacks…) is a ValidationError naming the element; XML that is not well-formed or breaks a bound
 * of xml-tree.ts is one too.
 */
import { Job, type JobInput } from '../../../shared/src/job.ts';
import { ValidationError } from '../errors.ts';
import { parseInput } from '../http/validate.ts';
import { child, parseXml, writeXml, el } from './xml-tree.ts';
import { PreservedXml, XmlReader, restore, placeholder } from './xml-preserved.ts';
import { readProperties, writeProperties } from './config-xml-properties.ts';
import { readScm, writeScm, readTriggers, writeTriggers } from './config-xml-scm.ts';
import { readBuilders, writeBuilders, readPublishers, writePublishers } from './config-xml-steps.ts';
import { readWrappers, writeWrappers } from './config-xml-wrappers.ts';

export { PreservedXml } from './xml-preserved.ts';

/** What every section reader is handed. */
export interface ReadContext {
  r: XmlReader;
  /** A ValidationError about the element `where` (e.g. `<builders>/<hudson.tasks.Shell>`). */
  fail(where: string, message: string): never;
}

export function parseConfigXml(xml: string, jobName: string): { document: JobInput; preserved: PreservedXml } {
  const root = parseXml(xml);
  if (root.name !== 'project') {
    throw new ValidationError(`config.xml: only freestyle projects (<project>) are supported, not <${root.name}>`);
  }
  const r = new XmlReader();
  const ctx: ReadContext = {
    r,
    fail(where, message) {
      throw new ValidationError(`config.xml: ${where}: ${message}`);
    },
  };
  const intOf = (name: string) => r.int(root, name, (t) => ctx.fail(`<${name}>`, `must be a whole number, not '${t}'`));
  const document: Record<string, unknown> = { name: jobName };
  const description = r.text(root, 'description');
  if (description !== undefined) document.description = description;
  const disabled = r.bool(root, 'disabled');
  if (disabled !== undefined) document.disabled = disabled;
  const concurrentBuild = r.bool(root, 'concurrentBuild');
  if (concurrentBuild !== undefined) document.concurrentBuild = concurrentBuild;
  const quietPeriod = intOf('quietPeriod');
  if (quietPeriod !== undefined) document.quietPeriod = quietPeriod;
  // Jenkins: a project roams unless canRoam is false and a node is assigned (AbstractProject.getAssignedLabel).
  const canRoam = r.bool(root, 'canRoam') ?? false;
  const assigned = child(root, 'assignedNode');
  if (!canRoam && assigned) {
    const label = r.text(root, 'assignedNode')!.trim();
    if (label !== '') document.label = label;
  }
  const triggers: Record<string, unknown> = {};
  const authToken = r.text(root, 'authToken');
  if (authToken) triggers.remoteToken = authToken;

  Object.assign(document, readProperties(ctx, root));
  document.scm = readScm(ctx, root);
  Object.assign(triggers, readTriggers(ctx, root));
  document.triggers = triggers;
  document.steps = readBuilders(ctx, root);
  document.publishers = readPublishers(ctx, root);
  Object.assign(document, readWrappers(ctx, root));
  for (const container of ['properties', 'triggers', 'builders', 'publishers', 'buildWrappers']) r.take(root, container);

  const job = parseInput(Job, document, 'job from config.xml');
  return { document: job, preserved: r.leftovers(root) };
}

/**
 * The job as config.xml, with `preserved` (from parseConfigXml) put back. Give it the job as the
 * API shows it: password defaults and the remote token as "****", which a POST of the same XML
 * keeps (the jobs service's rule for "****").
 */
export function renderConfigXml(job: Job, preserved?: PreservedXml): string {
  const project = el('project', [
    el('description', job.description),
    writeProperties(job),
    writeScm(job) ?? placeholder(el('scm', [], [['class', 'hudson.scm.NullSCM']])),
    ...(job.label ? [el('assignedNode', job.label), el('canRoam', 'false')] : [el('canRoam', 'true')]),
    el('disabled', String(job.disabled)),
    ...(job.triggers.remoteToken ? [el('authToken', job.triggers.remoteToken)] : []),
    el('quietPeriod', String(job.quietPeriod)),
    writeTriggers(job),
    el('concurrentBuild', String(job.concurrentBuild)),
    writeBuilders(job),
    writePublishers(job),
    writeWrappers(job),
  ]);
  return writeXml(restore(project, preserved));
}
