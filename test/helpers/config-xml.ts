/** Round trips of config.xml for tests: parse → render → parse gives the same document, and rendering again the same text. */
import type { ExecutionContext } from 'ava';
import { parseConfigXml, renderConfigXml, type PreservedXml } from '../../master/src/jenkins/config-xml.ts';
import { Job, type JobInput } from '../../shared/src/job.ts';

export function roundTrip(t: ExecutionContext, xml: string, name = 'demo'): { document: JobInput; preserved: PreservedXml; rendered: string } {
  const first = parseConfigXml(xml, name);
  const rendered = renderConfigXml(Job.parse(first.document), first.preserved);
  const second = parseConfigXml(rendered, name);
  t.deepEqual(second.document, first.document, 'the document survives a round trip');
  t.is(renderConfigXml(Job.parse(second.document), second.preserved), rendered, 'rendering is stable');
  return { ...first, rendered };
}
