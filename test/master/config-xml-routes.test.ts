/**
 * config.xml over HTTP: POST /createItem and GET/POST /job/X/config.xml keep what Jonkkins does
 * not understand with the job; saving the job document (the configure page's PUT /api/jobs/X)
 * keeps it too; hostile XML is a 400 with X-Error, never a 500 or a hang.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const fixture = readFileSync(new URL('../fixtures/config-xml/reference-minimal.xml', import.meta.url), 'utf8').replace('s3cret', 's3cret-token');
/** A plugin Jonkkins does not know, between two shell steps. */
const withPlugin = fixture.replace(
  '</hudson.tasks.Shell></builders>',
  '</hudson.tasks.Shell><org.jenkinsci.plugins.Foo plugin="foo@1.2"><bar a="1">x &amp; y</bar></org.jenkinsci.plugins.Foo><hudson.tasks.Shell><command>echo two</command></hudson.tasks.Shell></builders>',
);

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
});
test.after.always(() => m?.close());

const postXml = (path: string, xml: string) => call(m.url, 'POST', path, { token: admin, raw: xml, headers: { 'content-type': 'text/xml; charset=utf-8' } });
const getXml = async (name: string) => (await call(m.url, 'GET', `/job/${name}/config.xml`, { token: admin })).text;

test('createItem keeps the unknown plugin in its place; GET config.xml gives it back, and the document has both shells', async (t) => {
  const created = await postXml('/createItem?name=plugged', withPlugin);
  t.is(created.status, 200, created.text);
  const job = (await call(m.url, 'GET', '/api/jobs/plugged', { token: admin })).body;
  t.deepEqual(job.steps.map((s: { script: string }) => s.script), ['echo "$GREETING from $NODE_NAME"', 'echo two']);
  const xml = await getXml('plugged');
  t.regex(xml, /<\/hudson.tasks.Shell>\n {4}<org.jenkinsci.plugins.Foo plugin="foo@1.2">\n {6}<bar a="1">x &amp; y<\/bar>\n {4}<\/org.jenkinsci.plugins.Foo>\n {4}<hudson.tasks.Shell>\n {6}<command>echo two/);
  t.regex(xml, /<authToken>\*\*\*\*<\/authToken>/, 'the remote token is never shown');
});

test('saving the job document from the UI or REST keeps the preserved XML; posting config.xml again keeps the token', async (t) => {
  t.is((await postXml('/createItem?name=kept', withPlugin)).status, 200);
  const job = (await call(m.url, 'GET', '/api/jobs/kept', { token: admin })).body;
  const { upstreamProjects: _u, downstreamProjects: _d, permalinks: _p, ...document } = job;
  const saved = await call(m.url, 'PUT', '/api/jobs/kept', { token: admin, json: { ...document, description: 'edited on the configure page' } });
  t.is(saved.status, 200, saved.text);
  const xml = await getXml('kept');
  t.regex(xml, /<description>edited on the configure page<\/description>/);
  t.regex(xml, /<org.jenkinsci.plugins.Foo plugin="foo@1.2">/);
  t.regex(xml, /<keepDependencies>false<\/keepDependencies>/);
  // The XML as GET gave it (token "****") posted back: same document, token kept.
  t.is((await postXml('/job/kept/config.xml', xml)).status, 200);
  t.is(await getXml('kept'), xml);
  const token = await call(m.url, 'POST', '/job/kept/buildWithParameters?token=s3cret-token', {});
  t.is(token.status, 201, 'the remote token still works');
});

test('config.xml posted with the unknown plugin removed removes it (what is posted is the whole config)', async (t) => {
  t.is((await postXml('/createItem?name=trimmed', withPlugin)).status, 200);
  t.is((await postXml('/job/trimmed/config.xml', fixture)).status, 200);
  t.notRegex(await getXml('trimmed'), /org.jenkinsci.plugins.Foo/);
});

test('hostile or broken XML is a 400 with X-Error, never a 500, and creates nothing', async (t) => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><project><description>&lol9;</description></project>`;
  const cases: [string, string, RegExp][] = [
    ['laughs', laughs, /DOCTYPE is not allowed/],
    ['xxe', '<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project><description>&x;</description></project>', /DOCTYPE is not allowed/],
    ['deep', `<project>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</project>`, /deeper than 100 levels/],
    ['attribute', `<project><description a="${'x'.repeat(100_000)}"/></project>`, /attribute 'a' of <description> is longer than/],
    ['broken', '<project><description>', /not acceptable XML/],
    ['pipeline', '<flow-definition/>', /only freestyle projects/],
    ['two-remotes', fixture.replace('<scm class="hudson.scm.NullSCM"/>', '<scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>https://a/x.git</url></hudson.plugins.git.UserRemoteConfig><hudson.plugins.git.UserRemoteConfig><url>https://b/y.git</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>'), /exactly one repository/],
  ];
  for (const [name, xml, message] of cases) {
    const started = performance.now();
    const res = await postXml(`/createItem?name=${name}`, xml);
    t.is(res.status, 400, `${name}: ${res.text.slice(0, 200)}`);
    t.regex(res.headers.get('x-error') ?? '', message, name);
    // Generous for a loaded machine: an expansion or a quadratic parse would take minutes or never end (config-xml-bounds times the parser itself).
    t.true(performance.now() - started < 10_000, `${name} took ${performance.now() - started} ms`);
    t.is((await call(m.url, 'GET', `/api/jobs/${name}`, { token: admin })).status, 404);
  }
  const huge = await postXml('/createItem?name=huge', `<project><description>${'x'.repeat(1100 * 1024)}</description></project>`);
  t.true(huge.status === 400 || huge.status === 413, `huge: ${huge.status}`);
});
