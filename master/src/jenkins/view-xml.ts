/**
 * A list view's config.xml (hudson.model.ListView) ⇄ the view document: name, description,
 * jobNames and includeRegex. Parsed by xml-tree.ts (bounded, no DTDs); other elements (columns,
 * filters) describe the Jenkins UI and are not kept.
 */
import type { View, ViewInput } from '../../../shared/src/view.ts';
import { ValidationError } from '../errors.ts';
import { el, parseXml, textOf, writeXml, type XmlElement } from './xml-tree.ts';

const LIST_VIEW = 'hudson.model.ListView';

export function parseViewXml(xml: string, name: string): ViewInput {
  const root = parseXml(xml);
  if (root.name !== LIST_VIEW && root.name !== 'listView') throw new ValidationError(`Only list views are supported: the root element must be <${LIST_VIEW}>, not <${root.name}>`);
  const child = (n: string) => root.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === n);
  const jobNames = child('jobNames');
  const jobs = (jobNames?.children ?? []).flatMap((c) => (typeof c !== 'string' && c.name === 'string' ? [textOf(c)] : []));
  const regex = child('includeRegex');
  return { name: child('name') ? textOf(child('name')!) : name, description: child('description') ? textOf(child('description')!) : '', jobs, includeRegex: regex && textOf(regex) !== '' ? textOf(regex) : null };
}

/** A list view as Jenkins writes its config.xml. */
export function renderViewXml(view: View): string {
  return writeXml(
    el(LIST_VIEW, [
      el('name', view.name),
      el('description', view.description),
      el('filterExecutors', 'false'),
      el('filterQueue', 'false'),
      el('properties', [], [['class', 'hudson.model.View$PropertyList']]),
      el('jobNames', [el('comparator', [], [['class', 'java.lang.String$CaseInsensitiveComparator']]), ...view.jobs.map((j) => el('string', j))]),
      el('jobFilters'),
      el('columns'),
      ...(view.includeRegex === null ? [] : [el('includeRegex', view.includeRegex)]),
      el('recurse', 'false'),
    ]),
  );
}
