/**
 * Jenkins' own clients against Jonkkins, unchanged: python-jenkins (Debian's python3-jenkins)
 * and the npm `jenkins` client (its default crumb handling on) each run a realistic script —
 * build with parameters, follow the queue item, read the build and its console, stop a build,
 * copy, disable/enable, rename, delete, list nodes, jobs and views, jobs and views made from
 * config.xml — and the curl lines of Jenkins' documentation work verbatim. A real master and a
 * real agent process run the builds.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import Jenkins from 'jenkins';
import { webRoot } from '../../master/src/server.ts';
import { builds, Fleet } from '../helpers/fleet.ts';
import { ADMIN, bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3'; // Debian's, which has python3-jenkins (not a pyenv one)
const SCRIPT = fileURLToPath(new URL('../fixtures/jenkins-clients/python-jenkins-script.py', import.meta.url));

let m: TestMaster;
let admin: string;
let token: string;
test.before(async () => {
  // With the UI, as deployed: Jenkins' redirects (after stop, copy, delete…) land on its pages.
  m = await startTestMaster({ staticDir: webRoot() });
  admin = await bootstrapAdmin(m.url);
  token = (await call(m.url, 'POST', `/api/users/${ADMIN.username}/tokens`, { token: admin, json: { name: 'clients' } })).body.tokenValue;
});
test.after.always(() => m?.close());

const SLOW_JOB = { steps: [{ type: 'shell', script: 'echo working; sleep 300' }] };
const CONFIG_XML = `<?xml version='1.1' encoding='UTF-8'?>
<project>
  <description>made by python-jenkins</description>
  <properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>
    <hudson.model.StringParameterDefinition><name>GREETING</name><defaultValue>hi</defaultValue><trim>false</trim></hudson.model.StringParameterDefinition>
  </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>
  <scm class="hudson.scm.NullSCM"/><canRoam>true</canRoam><disabled>false</disabled><concurrentBuild>false</concurrentBuild>
  <builders><hudson.tasks.Shell><command>echo "$GREETING from $NODE_NAME"</command></hudson.tasks.Shell></builders>
  <publishers/><buildWrappers/>
</project>`;

// Serial: each test starts an agent process of its own, and three starting at once on a loaded machine outwait the fleet's start-up bound.
test.serial('python-jenkins: build with parameters, follow the queue, read, stop, copy, disable/enable, rename, delete, nodes, jobs, views', async (t) => {
  await new Fleet(t, m, admin).agent('py-agent', { executors: 2 });
  const api = builds(m, admin);
  await api.job('py-slow', SLOW_JOB);
  const viewXml = `<hudson.model.ListView><name>py-view</name><description/><jobNames><comparator class="java.lang.String$CaseInsensitiveComparator"/><string>py-slow</string></jobNames><recurse>false</recurse></hudson.model.ListView>`;
  const env = { JENKINS_URL: m.url, JENKINS_USER: ADMIN.username, JENKINS_TOKEN: token, JOB: 'py-job', SLOW_JOB: 'py-slow', VIEW: 'py-view', VIEW_XML: viewXml, CREATE_XML: CONFIG_XML };
  const { stdout } = await run(PYTHON, [SCRIPT], { env: { ...env, PATH: process.env.PATH ?? '' }, timeout: 50_000 });
  const out = JSON.parse(stdout);
  t.truthy(out.version);
  t.is(out.whoami, ADMIN.username);
  t.regex(out.config_xml, /<project>[\s\S]*<hudson.model.StringParameterDefinition>[\s\S]*<name>GREETING<\/name>/);
  t.is(out.description, 'reconfigured by python-jenkins');
  t.true(out.job_exists);
  t.false(out.missing_job_exists);
  t.is(out.result, 'SUCCESS');
  t.is(out.build_class, 'hudson.model.FreeStyleBuild');
  t.deepEqual(out.parameters, { GREETING: 'hello from python' });
  t.deepEqual(out.causes, [`Started by user ${ADMIN.username}`]);
  t.regex(out.console, /hello from python from py-agent/);
  t.is(out.job_color, 'blue');
  t.is(out.last_build, 1);
  t.is(out.next_build_number, 50);
  t.deepEqual(out.running_builds, [['py-slow', 1]]);
  t.is(out.stopped_result, 'ABORTED');
  t.is(out.copy_disabled_color, 'disabled');
  t.true(out.copy_enabled_buildable);
  t.true(out.renamed_exists);
  t.false(out.deleted_exists);
  t.deepEqual(out.nodes, [['Built-In Node', false], ['py-agent', false]]);
  t.deepEqual(out.jobs, ['py-job', 'py-slow']);
  t.is(out.jobs_count, 2);
  t.deepEqual(out.views, ['all']);
  t.is(out.plugins, 0, 'no plugins (and no 404, which would break Jenkins Job Builder)');
  t.deepEqual(out.queue, []);
  t.true(out.view_exists);
  t.deepEqual(out.view_jobs, ['py-slow']);
  t.deepEqual(out.view_jobs_after, ['py-job']);
  t.true(out.view_deleted);
});

test.serial('the npm jenkins client (crumbs on by default): create, build with parameters, queue item, log stream, stop, copy, disable/enable, delete, nodes, jobs, views', async (t) => {
  await new Fleet(t, m, admin).agent('node-agent', { executors: 2, labels: ['nodejs'] });
  const api = builds(m, admin);
  const jenkins = new Jenkins({ baseUrl: `http://${ADMIN.username}:${token}@${new URL(m.url).host}` });
  await jenkins.job.create('node-job', CONFIG_XML.replace('<canRoam>true</canRoam>', '<assignedNode>nodejs</assignedNode><canRoam>false</canRoam>'));
  t.regex(await jenkins.job.config('node-job'), /<assignedNode>nodejs<\/assignedNode>/);
  await api.job('node-slow', { ...SLOW_JOB, label: 'nodejs' });
  t.true(await jenkins.job.exists('node-job'));
  t.false(await jenkins.job.exists('no-such-job'));

  const queueId = await jenkins.job.build({ name: 'node-job', parameters: { GREETING: 'hello from node' } });
  t.true(Number.isInteger(queueId), `queue id ${queueId}`);
  let number = 0;
  await until('the queue item to start', async () => (number = (await jenkins.queue.item(queueId)).executable?.number ?? 0) > 0);
  const log = await new Promise<string>((resolve, reject) => {
    let text = '';
    const stream = jenkins.build.logStream('node-job', number, { delay: 200 });
    stream.on('data', (d: string) => (text += d));
    stream.on('error', reject);
    stream.on('end', () => resolve(text));
  });
  t.regex(log, /hello from node from node-agent/);
  const build = await jenkins.build.get('node-job', number);
  t.is(build.result, 'SUCCESS');
  t.false(build.building);
  t.true(build.duration > 0);
  t.deepEqual(build.changeSet.items, []);

  const slowQueue = await jenkins.job.build('node-slow');
  let slow = 0;
  await until('the slow build to start', async () => (slow = (await jenkins.queue.item(slowQueue)).executable?.number ?? 0) > 0);
  await until('the slow build to print', async () => (await api.consoleOf('node-slow', slow)).toString().includes('working'));
  await jenkins.build.stop('node-slow', slow);
  t.is((await api.finished('node-slow', slow)).result, 'ABORTED');

  await jenkins.job.copy('node-job', 'node-copy');
  await jenkins.job.disable('node-copy');
  t.is((await jenkins.job.get('node-copy')).color, 'disabled');
  await jenkins.job.enable('node-copy');
  t.true((await jenkins.job.get('node-copy')).buildable);
  await jenkins.job.destroy('node-copy');
  t.false(await jenkins.job.exists('node-copy'));

  const nodes = await jenkins.node.list();
  t.true(nodes.some((n: any) => n.displayName === 'node-agent' && n.offline === false && n.numExecutors === 2));
  t.true((await jenkins.node.exists('node-agent')));
  const jobs = await jenkins.job.list();
  t.true(jobs.some((j: any) => j.name === 'node-job' && j.color === 'blue'));

  await jenkins.view.create('node-view', 'list');
  await jenkins.view.add('node-view', 'node-job');
  t.deepEqual((await jenkins.view.get('node-view')).jobs.map((j: any) => j.name), ['node-job']);
  await jenkins.view.remove('node-view', 'node-job');
  t.deepEqual((await jenkins.view.get('node-view')).jobs, []);
  t.true((await jenkins.view.list()).some((v: any) => v.name === 'node-view'));
  await jenkins.view.destroy('node-view');
  t.false(await jenkins.view.exists('node-view'));
  t.deepEqual(await jenkins.plugin.list(), []);

  // A queued build cancelled: node's cancelQueue requires a 302.
  await api.job('node-nowhere', { label: 'no-agent-has-this' });
  const waiting = await jenkins.job.build('node-nowhere');
  t.true((await jenkins.queue.list()).some((i: any) => i.id === waiting && i.task.name === 'node-nowhere'));
  await jenkins.queue.cancel(waiting);
  const left = await jenkins.queue.item(waiting);
  t.true(left.cancelled);
  t.is(left._class, 'hudson.model.Queue$LeftItem');
});

test.serial("the curl lines of Jenkins' documentation work verbatim", async (t) => {
  await new Fleet(t, m, admin).agent('curl-agent', { executors: 1, labels: ['curl'] });
  const api = builds(m, admin);
  await api.job('curl-job', { label: 'curl', parameters: [{ type: 'string', name: 'KEY', default: 'none' }], steps: [{ type: 'shell', script: 'echo "KEY is $KEY"' }], triggers: { remoteToken: 'remote-secret-1' } });
  const url = `${m.url}/`;
  const curl = async (...args: string[]) => (await run('curl', ['-sS', '-i', ...args], { timeout: 20_000 })).stdout;

  const queued = await curl('-X', 'POST', '-u', `${ADMIN.username}:${token}`, `${url}job/curl-job/buildWithParameters`, '--data', 'KEY=value');
  t.regex(queued, /^HTTP\/1\.1 201/);
  const location = /^location: (.*)$/im.exec(queued)![1]!.trim();
  t.regex(location, /\/queue\/item\/\d+\/$/, 'Location ends in /');
  const queueId = Number(location.split('/').at(-2));
  const number = await api.numberOf(queueId);
  await api.finished('curl-job', number);
  const consoleText = await curl('-u', `${ADMIN.username}:${token}`, `${url}job/curl-job/lastBuild/consoleText`);
  t.regex(consoleText, /^HTTP\/1\.1 200/);
  t.regex(consoleText, /content-type: text\/plain; charset=utf-8/i);
  t.regex(consoleText, /KEY is value/);

  // "Trigger builds remotely": the job's token instead of a login.
  const remote = await curl(`${url}job/curl-job/build?token=remote-secret-1`);
  t.regex(remote, /^HTTP\/1\.1 400/, 'a parameterized job needs its parameters (Jenkins: "Nothing is submitted")');
  const remoteWithParameters = await curl(`${url}job/curl-job/buildWithParameters?token=remote-secret-1&KEY=remote`);
  t.regex(remoteWithParameters, /^HTTP\/1\.1 201/);
  const wrong = await curl(`${url}job/curl-job/buildWithParameters?token=wrong-token-0&KEY=remote`);
  t.regex(wrong, /^HTTP\/1\.1 403/);
  t.regex(wrong, /Invalid token provided/);

  // The build form of Jenkins' docs: `json` with the parameter list.
  const form = await curl('-X', 'POST', '-u', `${ADMIN.username}:${token}`, `${url}job/curl-job/build`, '--data-urlencode', 'json={"parameter": [{"name":"KEY", "value":"from json"}]}');
  t.regex(form, /^HTTP\/1\.1 201/);
  const formNumber = await api.numberOf(Number(/^location: .*\/queue\/item\/(\d+)\/\s*$/im.exec(form)![1]));
  await api.finished('curl-job', formNumber);
  t.regex((await api.consoleOf('curl-job', formNumber)).toString(), /KEY is from json/);
});

test.serial('python-jenkins with the password instead of a token: it fetches the crumb and sends it with every POST', async (t) => {
  await builds(m, admin).job('py-password', {});
  const script = [
    'import jenkins, os, json',
    "s = jenkins.Jenkins(os.environ['JENKINS_URL'], username=os.environ['JENKINS_USER'], password=os.environ['JENKINS_PASSWORD'])",
    "s.disable_job('py-password')",
    "color = s.get_job_info('py-password')['color']",
    "s.enable_job('py-password')",
    "print(json.dumps({'whoami': s.get_whoami()['id'], 'disabled': color, 'enabled': s.get_job_info('py-password')['color']}))",
  ].join('\n');
  const env = { JENKINS_URL: m.url, JENKINS_USER: ADMIN.username, JENKINS_PASSWORD: ADMIN.password, PATH: process.env.PATH ?? '' };
  const { stdout } = await run(PYTHON, ['-c', script], { env, timeout: 30_000 });
  t.deepEqual(JSON.parse(stdout), { whoami: ADMIN.username, disabled: 'disabled', enabled: 'notbuilt' });
});
