/**
 * The Jenkins-compatible API's shapes and rules, driven by an agent speaking HTTP (so a build's
 * console and end are exactly what the test sends): tree= and depth= pruning, api/xml, `_class`
 * everywhere, HEAD, job and build JSON, permalinks, progressiveText's X-Text-Size / X-More-Data,
 * progressiveHtml, artifacts and the zip, the queue (303 when folded into a waiting item,
 * executable once started, cancelItem), copy and rename, views, nodes, and X-Error on failures.
 */
import { Readable } from 'node:stream';
import test from 'ava';
import { consoleAgent } from '../helpers/console-builds.ts';
import { ADMIN, bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';
import type { MasterClient } from '../../worker/src/master-client.ts';

let m: TestMaster;
let admin: string;
let agent: MasterClient;
let auth: Record<string, string>;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await consoleAgent(m, admin, 'http-agent');
  const token = (await call(m.url, 'POST', `/api/users/${ADMIN.username}/tokens`, { token: admin, json: { name: 'api test' } })).body.tokenValue;
  auth = { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${token}`).toString('base64')}` };
});
test.after.always(() => m?.close());

const get = (path: string) => call(m.url, 'GET', path, { headers: auth });
const post = (path: string, body?: { form?: string; xml?: string }) =>
  call(m.url, 'POST', path, {
    headers: { ...auth, ...(body?.form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : body?.xml !== undefined ? { 'content-type': 'text/xml' } : {}) },
    ...(body ? { raw: body.form ?? body.xml } : {}),
    redirect: 'manual',
  });
const job = async (name: string, doc: Record<string, unknown> = {}) => {
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, ...doc } });
  if (res.status !== 201) throw new Error(res.text);
};
const queueIdOf = (location: string | null) => Number(location!.split('/').at(-2));
let executor = 0;
/** Queues a build the Jenkins way and starts it on the HTTP agent: its queue id and where its console ends (after the cause lines). */
async function started(name: string, query = ''): Promise<{ id: number; offset: number }> {
  const res = await post(`/job/${encodeURIComponent(name)}/${query ? 'buildWithParameters' : 'build'}${query}`);
  if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
  const id = queueIdOf(res.headers.get('location'));
  const spec = await agent.startBuild(id, executor++ % 4);
  return { id, offset: spec.logOffset };
}
async function finish(build: { id: number; offset: number }, bytes: string, result: 'SUCCESS' | 'FAILURE' = 'SUCCESS') {
  await agent.sendLog(build.id, build.offset, [Buffer.from(bytes)]);
  await agent.finishBuild(build.id, { result, logSize: build.offset + Buffer.byteLength(bytes) });
}

test('root api/json: jobs with colours, views, mode; tree= keeps only what it names, with _class; depth=1 shows nested objects whole', async (t) => {
  await job('root-a', { description: 'first' });
  const all = await get('/api/json');
  t.is(all.status, 200);
  t.is(all.body._class, 'hudson.model.Hudson');
  t.is(all.body.mode, 'NORMAL');
  t.true(all.body.useCrumbs);
  const a = all.body.jobs.find((j: any) => j.name === 'root-a');
  t.deepEqual(a, { _class: 'hudson.model.FreeStyleProject', name: 'root-a', url: 'http://jonkkins.test/job/root-a/', color: 'notbuilt' }, 'depth=0: nested jobs show their summary');
  t.true(all.body.views.some((v: any) => v.name === 'all'));
  const deeper = (await get('/api/json?depth=1')).body.jobs.find((j: any) => j.name === 'root-a');
  t.is(deeper.description, 'first', 'depth=1: the nested job whole');
  const tree = await get('/api/json?tree=jobs[name],views[name]');
  t.deepEqual(Object.keys(tree.body).sort(), ['_class', 'jobs', 'views']);
  t.deepEqual(tree.body.jobs.find((j: any) => j.name === 'root-a'), { _class: 'hudson.model.FreeStyleProject', name: 'root-a' });
  const bare = await get('/api/json?tree=jobs');
  t.deepEqual(bare.body.jobs[0], { _class: 'hudson.model.FreeStyleProject' }, 'an object without a selection of its own is its _class');
  const xml = await get('/api/xml?tree=jobs[name]');
  t.regex(xml.headers.get('content-type')!, /application\/xml/);
  t.regex(xml.text, /^<\?xml version="1.0" encoding="UTF-8"\?><hudson _class="hudson.model.Hudson">(<job _class="hudson.model.FreeStyleProject"><name>[^<]+<\/name><\/job>)+<\/hudson>$/);
  t.true(xml.text.includes("<name>root-a</name>"));
});

test('tree= and depth= are bounded: a clear 400 for bad or oversized selections', async (t) => {
  for (const [tree, message] of [
    ['jobs[name', "expected ']'"],
    ['jobs[]', 'expected a property name'],
    ['a'.repeat(10_001), 'longer than 10000'],
    [`${'a['.repeat(40)}b${']'.repeat(40)}`, 'more than 32 levels'],
    ['builds{x}', 'expected a number'],
  ]) {
    const res = await get(`/api/json?tree=${encodeURIComponent(tree!)}`);
    t.is(res.status, 400, tree!.slice(0, 40));
    t.true(res.body.error.message.includes(message!), res.body.error.message);
    t.truthy(res.headers.get('x-error'), 'X-Error carries the message');
  }
  t.is((await get('/api/json?depth=6')).status, 400);
  t.is((await get('/api/json?depth=-1')).status, 400);
  t.is((await get('/job/root-a/api/python')).status, 400);
});

test('a job: api/json with builds, permalinks, parameters, nextBuildNumber; HEAD; ranges of builds; allBuilds only by tree=', async (t) => {
  await job('shape', { parameters: [{ type: 'string', name: 'WHO', default: 'world', description: 'who to greet' }, { type: 'choice', name: 'ENV', choices: ['dev', 'prod'] }] });
  const one = await started('shape', '?WHO=alice');
  await finish(one, 'hello alice\n');
  const two = await started('shape', '?WHO=bob&ENV=prod&UNDEFINED=dropped');
  const info = (await get('/job/shape/api/json')).body;
  t.is(info._class, 'hudson.model.FreeStyleProject');
  t.is(info.nextBuildNumber, 3);
  t.deepEqual(info.builds.map((b: any) => b.number), [2, 1]);
  t.deepEqual(info.builds[0], { _class: 'hudson.model.FreeStyleBuild', number: 2, url: 'http://jonkkins.test/job/shape/2/' });
  t.is(info.lastBuild.number, 2);
  t.is(info.lastSuccessfulBuild.number, 1);
  t.is(info.lastCompletedBuild.number, 1);
  t.is(info.lastFailedBuild, null);
  t.is(info.firstBuild.number, 1);
  t.is(info.color, 'blue_anime', "the last completed build's colour, animated while #2 runs");
  t.false('allBuilds' in info, 'allBuilds is not shown by depth');
  const defs = info.property.find((p: any) => p._class === 'hudson.model.ParametersDefinitionProperty').parameterDefinitions;
  t.deepEqual(defs.map((d: any) => [d.name, d.type, d.defaultParameterValue.value]), [['WHO', 'StringParameterDefinition', 'world'], ['ENV', 'ChoiceParameterDefinition', 'dev']]);
  t.deepEqual(defs[1].choices, ['dev', 'prod']);
  t.deepEqual((await get('/job/shape/api/json?tree=allBuilds[number]{0,1}')).body.allBuilds, [{ _class: 'hudson.model.FreeStyleBuild', number: 2 }]);
  t.deepEqual((await get('/job/shape/api/json?tree=builds[number]{1,}')).body.builds, [{ _class: 'hudson.model.FreeStyleBuild', number: 1 }]);
  t.deepEqual((await get('/job/shape/api/json?tree=name')).body, { _class: 'hudson.model.FreeStyleProject', name: 'shape' });
  t.is((await fetch(`${m.url}/job/shape/api/json`, { method: 'HEAD', headers: auth })).status, 200);
  t.is((await fetch(`${m.url}/job/none/api/json`, { method: 'HEAD', headers: auth })).status, 404);

  const build = (await get('/job/shape/2/api/json')).body;
  t.is(build._class, 'hudson.model.FreeStyleBuild');
  t.true(build.building);
  t.is(build.result, null);
  t.is(build.fullDisplayName, 'shape #2');
  t.is(build.builtOn, 'http-agent');
  const parameters = build.actions.find((a: any) => a._class === 'hudson.model.ParametersAction').parameters;
  t.deepEqual(parameters.map((p: any) => [p._class, p.name, p.value]), [['hudson.model.StringParameterValue', 'WHO', 'bob'], ['hudson.model.StringParameterValue', 'ENV', 'prod']], 'an undefined parameter is dropped, as Jenkins does');
  const causes = build.actions.find((a: any) => a._class === 'hudson.model.CauseAction').causes;
  t.deepEqual(causes, [{ _class: 'hudson.model.Cause$UserIdCause', shortDescription: `Started by user ${ADMIN.username}`, userId: ADMIN.username, userName: ADMIN.username }]);
  t.deepEqual(build.changeSet, { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null });
  const last = (await get('/job/shape/lastSuccessfulBuild/api/json?tree=number,result,duration')).body;
  t.is(last.number, 1);
  t.is(last.result, 'SUCCESS');
  t.is((await get('/job/shape/lastFailedBuild/api/json')).status, 404);
  t.is((await get('/job/shape/99/api/json')).status, 404);
});

test('progressiveText: X-Text-Size is the next offset, X-More-Data only while logging; start from the form (POST) too; progressiveHtml escapes', async (t) => {
  await job('progress');
  const { id, offset } = await started('progress');
  await agent.sendLog(id, offset, [Buffer.from('line <one> & ')]);
  const first = await get(`/job/progress/1/logText/progressiveText?start=${offset}`);
  t.is(first.text, 'line <one> & ');
  const size = Number(first.headers.get('x-text-size'));
  t.is(size, offset + 13);
  t.is(first.headers.get('x-more-data'), 'true');
  await agent.sendLog(id, size, [Buffer.from('two\n')]);
  const next = await call(m.url, 'POST', '/job/progress/1/logText/progressiveText', { headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, raw: `start=${size}` });
  t.is(next.text, 'two\n');
  const html = await get(`/job/progress/1/logText/progressiveHtml?start=${offset}`);
  t.is(html.text, 'line &lt;one&gt; &amp; two\n');
  t.regex(html.headers.get('content-type')!, /text\/html/);
  await agent.finishBuild(id, { result: 'FAILURE', logSize: offset + 17 });
  const done = await get(`/job/progress/1/logText/progressiveText?start=${offset + 17}`);
  t.is(done.headers.get('x-more-data'), null, 'no X-More-Data once the build is over');
  t.true(Number(done.headers.get('x-text-size')) >= offset + 17);
  t.regex((await get('/job/progress/lastBuild/consoleText')).text, /^Started by user admin\n[\s\S]*line <one> & two\n/);
  t.is((await get('/job/progress/1/logText/progressiveText?start=-1')).status, 400);
  t.is((await get('/job/progress/api/json')).body.color, 'red');
});

test('artifacts: artifact/<path> and *zip*/archive.zip; build JSON lists them', async (t) => {
  await job('arts');
  const build = await started('arts');
  await agent.uploadArtifact(build.id, 'dist/app.txt', () => Readable.toWeb(Readable.from([Buffer.from('the app\n')])) as never);
  await finish(build, 'done\n');
  t.deepEqual((await get('/job/arts/1/api/json')).body.artifacts, [{ _class: 'hudson.model.Run$Artifact', displayPath: 'app.txt', fileName: 'app.txt', relativePath: 'dist/app.txt' }]);
  const file = await get('/job/arts/1/artifact/dist/app.txt');
  t.is(file.status, 200);
  t.is(file.text, 'the app\n');
  const zip = await fetch(`${m.url}/job/arts/lastSuccessfulBuild/*zip*/archive.zip`, { headers: auth });
  t.is(zip.status, 200);
  t.regex(zip.headers.get('content-type')!, /application\/zip/);
  t.is(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString(), 'PK');
  t.is((await get('/job/arts/1/artifact/nothing.txt')).status, 404);
  t.is((await get('/job/arts/1/notzip/archive.zip')).status, 404);
});

test('the queue: identical requests in the quiet period fold (303, same Location); executable once started; cancelItem 204', async (t) => {
  await job('quiet', { quietPeriod: 300, parameters: [{ type: 'string', name: 'X' }] });
  const a = await post('/job/quiet/buildWithParameters?X=1');
  t.is(a.status, 201);
  t.regex(a.headers.get('location')!, /^http:\/\/127\.0\.0\.1:\d+\/queue\/item\/\d+\/$/);
  const b = await post('/job/quiet/buildWithParameters?X=1');
  t.is(b.status, 303, 'folded into the waiting item');
  t.is(b.headers.get('location'), a.headers.get('location'));
  const c = await post('/job/quiet/buildWithParameters', { form: 'X=2' });
  t.is(c.status, 201, 'other parameters: another item');
  t.not(c.headers.get('location'), a.headers.get('location'));
  const item = (await get(`/queue/item/${queueIdOf(a.headers.get('location'))}/api/json`)).body;
  t.is(item._class, 'hudson.model.Queue$WaitingItem');
  t.is(item.url, `queue/item/${item.id}/`);
  t.is(item.task.name, 'quiet');
  t.is(item.params, '\nX=1');
  t.deepEqual(item.actions[0].causes.map((x: any) => x.shortDescription), [`Started by user ${ADMIN.username}`, `Started by user ${ADMIN.username}`]);
  const queue = (await get('/queue/api/json')).body;
  t.is(queue._class, 'hudson.model.Queue');
  t.true(queue.items.some((i: any) => i.id === item.id && i.task.name === 'quiet'));
  const cancel = await post(`/queue/cancelItem?id=${item.id}`);
  t.is(cancel.status, 204);
  const left = (await get(`/queue/item/${item.id}/api/json`)).body;
  t.is(left._class, 'hudson.model.Queue$LeftItem');
  t.true(left.cancelled);
  t.is(left.executable, null);
  t.is((await post(`/queue/cancelItem?id=${item.id}`)).status, 404, 'no longer queued');

  await job('now');
  const { id } = await started('now');
  const running = (await get(`/queue/item/${id}/api/json`)).body;
  t.is(running._class, 'hudson.model.Queue$LeftItem');
  t.false(running.cancelled);
  t.deepEqual(running.executable, { _class: 'hudson.model.FreeStyleBuild', number: 1, url: 'http://jonkkins.test/job/now/1/' });
  t.is((await get('/queue/item/abc/api/json')).status, 400);
});

test('build requests as Jenkins answers them: not parameterized, disabled, a GET without the token, a bad delay', async (t) => {
  await job('plain');
  const notParameterized = await post('/job/plain/buildWithParameters?X=1');
  t.is(notParameterized.status, 400);
  t.is(notParameterized.headers.get('x-error'), 'plain is not parameterized');
  t.is((await post('/job/plain/build?delay=soon')).status, 400);
  const get405 = await call(m.url, 'GET', '/job/plain/build', { headers: auth });
  t.is(get405.status, 405);
  t.is(get405.headers.get('allow'), 'POST');
  t.is((await post('/job/plain/disable')).status, 302);
  const disabled = await post('/job/plain/build');
  t.is(disabled.status, 409);
  t.is((await get('/job/plain/api/json?tree=color,buildable')).body.color, 'disabled');
  t.is((await post('/job/missing/build')).status, 404);
  const agentToken = await registeredAgentToken(m.url, admin, { name: 'not-a-person', executors: 1 });
  const byAgent = await call(m.url, 'POST', '/job/plain/build', { token: agentToken });
  t.is(byAgent.status, 403, 'an agent starts no builds through the Jenkins API');
  t.is(byAgent.headers.get('x-you-are-authenticated-as'), 'not-a-person');
  t.is((await call(m.url, 'GET', '/api/json', { token: agentToken })).status, 403);
});

test('createItem copies (302 to the copy, secrets kept), doRename renames (builds stay), doDelete deletes; clashes are 400 (409 for a rename) with X-Error', async (t) => {
  await job('original', { parameters: [{ type: 'password', name: 'PW', default: 's3cret-value' }], triggers: { remoteToken: 'copy-token-1' } });
  const copy = await post('/createItem?name=copied&mode=copy&from=original', { xml: '' });
  t.is(copy.status, 302);
  t.regex(copy.headers.get('location')!, /\/job\/copied\/$/);
  const remote = await call(m.url, 'POST', '/job/copied/buildWithParameters?token=copy-token-1', { redirect: 'manual' });
  t.is(remote.status, 201, "the copy keeps the original's remote token (still encrypted)");
  const again = await post('/createItem?name=copied&mode=copy&from=original');
  t.is(again.status, 400, "Jenkins' Failure status");
  t.regex(again.headers.get('x-error')!, /already exists/);
  t.is((await post('/createItem?name=x&mode=copy&from=nothing')).status, 404);
  t.is((await post('/createItem?mode=copy&from=original')).headers.get('x-error'), "Query parameter 'name' is required");
  t.is((await post('/createItem?name=bad/name&mode=copy&from=original')).status, 400);

  await finish(await started('original', '?PW=x'), 'ran\n');
  const renamed = await post('/job/original/doRename?newName=renamed');
  t.is(renamed.status, 302);
  t.regex(renamed.headers.get('location')!, /\/job\/renamed\/$/);
  t.is((await get('/job/renamed/1/api/json')).body.result, 'SUCCESS', 'the builds went with it');
  t.is((await get('/job/original/api/json')).status, 404);
  t.is((await post('/job/renamed/doRename?newName=copied')).status, 409);
  t.is((await post('/job/renamed/nextbuildnumber/submit', { form: 'nextBuildNumber=40' })).status, 302);
  t.is((await post('/job/renamed/nextbuildnumber/submit', { form: 'nextBuildNumber=5' })).status, 302);
  t.is((await get('/job/renamed/api/json?tree=nextBuildNumber')).body.nextBuildNumber, 40, 'raised, never lowered');
  t.is((await post('/job/renamed/nextbuildnumber/submit', { form: 'nextBuildNumber=x' })).status, 400);
  const deleted = await post('/job/renamed/doDelete');
  t.is(deleted.status, 302);
  t.is((await get('/job/renamed/api/json')).status, 404);
});

test('views: the all view, a list view made from the form, jobs added and removed, config.xml, delete; nodes list the built-in node and agents', async (t) => {
  await job('viewed');
  const all = (await get('/view/all/api/json')).body;
  t.is(all._class, 'hudson.model.AllView');
  t.is(all.name, 'all');
  t.true(all.jobs.some((j: any) => j.name === 'viewed'));
  t.is((await get('/view/All/api/json?tree=name')).body.name, 'all');
  const made = await post('/createView', { form: `name=team&mode=hudson.model.ListView&json=${encodeURIComponent(JSON.stringify({ name: 'team', mode: 'hudson.model.ListView' }))}` });
  t.is(made.status, 302);
  t.is((await post('/view/team/addJobToView?name=viewed')).status, 200);
  t.deepEqual((await get('/view/team/api/json')).body.jobs.map((j: any) => j.name), ['viewed']);
  const xml = (await get('/view/team/config.xml')).text;
  t.regex(xml, /<hudson.model.ListView>[\s\S]*<name>team<\/name>[\s\S]*<string>viewed<\/string>/);
  t.is((await post('/view/team/addJobToView?name=nothing')).status, 404);
  t.is((await post('/view/team/removeJobFromView?name=viewed')).status, 200);
  t.deepEqual((await get('/view/team/api/json')).body.jobs, []);
  t.is((await post('/createView', { form: 'name=other&mode=hudson.model.MyView' })).status, 400);
  const hostile = await post('/createView?name=evil', { xml: '<!DOCTYPE x [<!ENTITY a "aaaa">]><hudson.model.ListView><name>&a;</name></hudson.model.ListView>' });
  t.is(hostile.status, 400, 'a DTD is refused');
  t.regex(hostile.headers.get('x-error')!, /DOCTYPE/);
  const fromXml = await post('/createView?name=xmlview', { xml: '<hudson.model.ListView><name>xmlview</name><description>by xml</description><jobNames><string>viewed</string></jobNames><includeRegex>v.*</includeRegex></hudson.model.ListView>' });
  t.is(fromXml.status, 200, fromXml.text);
  t.deepEqual((await call(m.url, 'GET', '/api/views/xmlview', { token: admin })).body, { name: 'xmlview', description: 'by xml', jobs: ['viewed'], includeRegex: 'v.*' });
  t.is((await post('/view/xmlview/config.xml', { xml: '<hudson.model.ListView><name>xmlview</name><jobNames/></hudson.model.ListView>' })).status, 200);
  t.deepEqual((await call(m.url, 'GET', '/api/views/xmlview', { token: admin })).body.jobs, []);
  t.is((await post('/createView?name=wrong', { xml: '<hudson.model.MyView/>' })).status, 400);
  t.is((await post('/view/team/doDelete')).status, 302);
  t.is((await get('/view/team/api/json')).status, 404);

  const nodes = (await get('/computer/api/json')).body;
  t.is(nodes._class, 'hudson.model.ComputerSet');
  t.deepEqual(nodes.computer[0]._class, 'hudson.model.Hudson$MasterComputer');
  t.deepEqual(nodes.computer[0].displayName, 'Built-In Node');
  t.true(nodes.computer.some((c: any) => c._class === 'hudson.slaves.SlaveComputer' && c.displayName === 'http-agent'));
  const node = (await get('/computer/http-agent/api/json?depth=1')).body;
  t.is(node.numExecutors, 4);
  t.false(node.offline);
  t.is(node.executors.length, 4);
  t.is((await get('/computer/(built-in)/api/json')).body.displayName, 'Built-In Node');
  t.is((await get('/computer/nobody/api/json')).status, 404);
  t.deepEqual((await get('/pluginManager/api/json?depth=2')).body, { _class: 'hudson.LocalPluginManager', plugins: [] });
  t.deepEqual((await get('/whoAmI/api/json')).body.name, ADMIN.username);
});
