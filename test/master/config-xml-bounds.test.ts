/**
 * config.xml is parsed safely: no DOCTYPE (so no entity expansion, no external DTD or entity),
 * bounded size, depth and attribute length, all in bounded time; each breach is a ValidationError
 * (400) that says what was wrong, never a crash or a slow parse.
 */
import test from 'ava';
import fc from 'fast-check';
import { parseConfigXml, renderConfigXml } from '../../master/src/jenkins/config-xml.ts';
import { Job } from '../../shared/src/job.ts';
import { MAX_XML_BYTES, MAX_XML_DEPTH } from '../../master/src/jenkins/xml-tree.ts';
import { ValidationError } from '../../master/src/errors.ts';

/** Parses `xml`, expects a ValidationError matching `message`, and answers how long it took (ms). */
function refused(t: import('ava').ExecutionContext, xml: string, message: RegExp): number {
  const started = performance.now();
  const err = t.throws(() => parseConfigXml(xml, 'x'), { instanceOf: ValidationError });
  t.regex(err.message, message);
  return performance.now() - started;
}

test('billion laughs: the DOCTYPE that declares the entities is refused before any expansion', (t) => {
  const entities = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');
  const xml = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${entities}\n]>\n<project><description>&lol9;</description></project>`;
  t.true(refused(t, xml, /DOCTYPE is not allowed/) < 1000);
});

test('an external entity (XXE) is refused: no file is read, no URL fetched', (t) => {
  const xml = '<?xml version="1.0"?><!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><project><description>&xxe;</description></project>';
  refused(t, xml, /DOCTYPE is not allowed/);
  // And without a DOCTYPE, an entity nobody declared is an error, not an empty string.
  refused(t, '<project><description>&xxe;</description></project>', /undefined entity|xxe/i);
});

test('an external DTD is refused', (t) => {
  refused(t, '<?xml version="1.0"?><!DOCTYPE project SYSTEM "http://127.0.0.1:1/evil.dtd"><project/>', /DOCTYPE is not allowed/);
});

test('10,000-deep nesting is refused at the depth bound, quickly', (t) => {
  const xml = `<project>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</project>`;
  t.true(refused(t, xml, new RegExp(`deeper than ${MAX_XML_DEPTH} levels`)) < 1000);
});

test('a huge attribute is refused: over the attribute bound, and over the size bound', (t) => {
  refused(t, `<project><description a="${'x'.repeat(200_000)}"/></project>`, /attribute 'a' of <description> is longer than/);
  t.true(refused(t, `<project><description a="${'x'.repeat(MAX_XML_BYTES)}"/></project>`, new RegExp(`at most ${MAX_XML_BYTES} bytes`)) < 1000);
});

test('a document at the size bound parses in bounded time', (t) => {
  // Just under 1 MB of unknown elements: kept, never refused, and quick.
  const item = '<com.example.UnknownPublisher><x>1</x></com.example.UnknownPublisher>';
  const body = item.repeat(Math.floor((MAX_XML_BYTES - 200) / item.length));
  const started = performance.now();
  const { preserved } = parseConfigXml(`<project><publishers>${body}</publishers></project>`, 'x');
  t.true(preserved.elements.length > 10_000);
  t.true(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
});

test('XML that is not well-formed, another root, or no XML at all: a 400 that says so', (t) => {
  refused(t, '<project><description>x</project>', /not acceptable XML/);
  refused(t, '', /not acceptable XML|no root element/);
  refused(t, '{"name": "x"}', /not acceptable XML/);
  refused(t, '<flow-definition/>', /only freestyle projects \(<project>\) are supported, not <flow-definition>/);
});

test('fuzz: any text, and any tree of Jenkins element names with any text, is a job or a ValidationError, and a job round-trips', (t) => {
  const names = ['project', 'description', 'disabled', 'canRoam', 'assignedNode', 'quietPeriod', 'authToken', 'properties', 'triggers', 'builders', 'publishers', 'buildWrappers', 'scm',
    'hudson.tasks.Shell', 'command', 'unstableReturn', 'hudson.triggers.TimerTrigger', 'spec', 'hudson.model.ParametersDefinitionProperty', 'parameterDefinitions',
    'hudson.model.StringParameterDefinition', 'hudson.model.ChoiceParameterDefinition', 'choices', 'string', 'a', 'name', 'defaultValue', 'hudson.tasks.ArtifactArchiver', 'artifacts',
    'jenkins.model.BuildDiscarderProperty', 'strategy', 'numToKeep', 'hudson.plugins.parameterizedtrigger.BuildTrigger', 'configs', 'hudson.plugins.parameterizedtrigger.BuildTriggerConfig',
    'projects', 'condition', 'threshold', 'x.Unknown'];
  const text = fc.oneof(fc.constantFrom('', 'true', 'false', '1', '-1', '300', 'H 2 * * *', 'linux', 'a, b', 'SUCCESS', 'ALWAYS', 'X'), fc.string({ maxLength: 12 }));
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.tuple(fc.constantFrom(...names), text).map(([n, v]) => `<${n}>${escape(v)}</${n}>`),
      fc.tuple(fc.constantFrom(...names), fc.array(tie('node'), { maxLength: 4 })).map(([n, kids]) => `<${n}>${kids.join('')}</${n}>`),
    ),
  })).node;
  const check = (xml: string) => {
    let parsed;
    try {
      parsed = parseConfigXml(xml, 'fuzz');
    } catch (err) {
      if (err instanceof ValidationError) return true;
      throw err;
    }
    const rendered = renderConfigXml(Job.parse(parsed.document), parsed.preserved);
    const again = parseConfigXml(rendered, 'fuzz');
    t.deepEqual(again.document, parsed.document);
    return renderConfigXml(Job.parse(again.document), again.preserved) === rendered;
  };
  fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: 300 });
  fc.assert(fc.property(fc.array(tree, { maxLength: 6 }), (kids) => check(`<project>${kids.join('')}</project>`)), { numRuns: 1500 });
});

test('mixed content (text beside an element Jonkkins does not know) round-trips without layout whitespace creeping into the text', (t) => {
  const first = parseConfigXml('<project><description>see <b plugin="x">this</b> now</description></project>', 'x');
  t.is(first.document.description, 'see  now');
  const rendered = renderConfigXml(Job.parse(first.document), first.preserved);
  // The kept <b> had no mapped sibling before it: it comes first; the text stays one piece.
  t.regex(rendered, /<description><b plugin="x">this<\/b>see {2}now<\/description>/);
  const second = parseConfigXml(rendered, 'x');
  t.deepEqual(second.document, first.document);
  t.is(renderConfigXml(Job.parse(second.document), second.preserved), rendered);
});
