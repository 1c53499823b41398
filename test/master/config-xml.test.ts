/**
 * config.xml ⇄ job document: round trips of the reference's fixture and of hand-written XML
 * covering every mapped element, and what is refused (with a clear 400).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseConfigXml } from '../../master/src/jenkins/config-xml.ts';
import { parseXml, elementXml, type XmlElement } from '../../master/src/jenkins/xml-tree.ts';
import { ValidationError } from '../../master/src/errors.ts';
import { roundTrip } from '../helpers/config-xml.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/config-xml/${name}`, import.meta.url), 'utf8');

/** Every element of `x` whose path (names from the root) is not one of `mapped`, as written XML: what must come back. */
function unmappedElements(xml: string, mapped: Set<string>): string[] {
  const out: string[] = [];
  const walk = (e: XmlElement, path: string) => {
    for (const c of e.children) {
      if (typeof c === 'string') continue;
      const p = `${path}/${c.name}`;
      if (mapped.has(p)) walk(c, p);
      else out.push(elementXml(c));
    }
  };
  walk(parseXml(xml), 'project');
  return out;
}

test('the reference fixture (§1.9) maps onto the job document and keeps every unmapped element, in its place', (t) => {
  // Jonkkins' remote tokens are at least 8 characters (Jenkins takes any): the fixture's "s3cret" is refused below.
  const xml = fixture('reference-minimal.xml').replace('s3cret', 's3cret-token');
  const { document, rendered } = roundTrip(t, xml);
  t.like(document, {
    name: 'demo',
    description: 'demo',
    label: 'linux && !arm',
    disabled: false,
    concurrentBuild: false,
    quietPeriod: 0,
    parameters: [{ type: 'string', name: 'GREETING', default: 'hi', trim: false }],
    buildDiscarder: { numToKeep: 20 },
    triggers: { remoteToken: 's3cret-token', cron: 'H 2 * * 1-5' },
    steps: [{ type: 'shell', script: 'echo "$GREETING from $NODE_NAME"' }],
    publishers: [{ type: 'archiveArtifacts', artifacts: '*.log', allowEmptyArchive: true, onlyIfSuccessful: false }],
  });
  for (const kept of ['<actions/>', '<keepDependencies>false</keepDependencies>', '<blockBuildWhenUpstreamBuilding>false</blockBuildWhenUpstreamBuilding>']) {
    t.true(rendered.includes(kept), kept);
  }
  // In place: keepDependencies right after description, configuredLocalRules inside the shell step, fingerprint inside the archiver.
  t.regex(rendered, /<description>demo<\/description>\n {2}<keepDependencies>/);
  t.regex(rendered, /<\/command>\n {6}<configuredLocalRules\/>\n {4}<\/hudson.tasks.Shell>/);
  t.regex(rendered, /<onlyIfSuccessful>false<\/onlyIfSuccessful>\n {6}<fingerprint>false<\/fingerprint>/);
  t.regex(rendered, /<numToKeep>20<\/numToKeep>\n {8}<artifactDaysToKeep>-1<\/artifactDaysToKeep>/);
});

test('every element Jonkkins does not map comes back byte for byte (as written) in the rendered XML', (t) => {
  const xml = fixture('reference-minimal.xml').replace('s3cret', 's3cret-token');
  const { rendered } = roundTrip(t, xml);
  const mapped = new Set(['project/properties', 'project/properties/jenkins.model.BuildDiscarderProperty', 'project/properties/jenkins.model.BuildDiscarderProperty/strategy',
    'project/properties/hudson.model.ParametersDefinitionProperty', 'project/properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions',
    'project/builders', 'project/builders/hudson.tasks.Shell', 'project/publishers', 'project/publishers/hudson.tasks.ArtifactArchiver']);
  const unmapped = unmappedElements(xml, mapped).filter((e) => !/^<(description|disabled|assignedNode|canRoam|authToken|quietPeriod|triggers|concurrentBuild|scm|buildWrappers|hudson.model.StringParameterDefinition|command|artifacts|allowEmptyArchive|onlyIfSuccessful|daysToKeep|numToKeep)\b/.test(e));
  t.true(unmapped.length >= 8);
  for (const e of unmapped) t.true(rendered.includes(e), e);
});

test('the reference fixture verbatim: its 6-character authToken is refused with a clear 400', (t) => {
  const err = t.throws(() => parseConfigXml(fixture('reference-minimal.xml'), 'demo'), { instanceOf: ValidationError });
  t.regex(err.message, /triggers\.remoteToken: must be at least 8 characters/);
});
