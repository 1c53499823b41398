/**
 * Jenkins Job Builder against Jonkkins: `jenkins-jobs update` (Debian's jenkins-job-builder, over
 * the Jenkins REST API with an API token) creates the jobs of test/fixtures/jjb/jobs.yaml, and a
 * second `update --ignore-cache` (JJB posts every config.xml again) changes nothing. The XML JJB
 * writes offline (`jenkins-jobs test`) round-trips through parse and render.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'slonik';
import { z } from 'zod';
import { parseConfigXml, renderConfigXml } from '../../master/src/jenkins/config-xml.ts';
import { Job } from '../../shared/src/job.ts';
import { ADMIN, bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

const run = promisify(execFile);
const JOBS_YAML = new URL('../fixtures/jjb/jobs.yaml', import.meta.url).pathname;
const NAMES = ['jjb-downstream', 'jjb-library', 'jjb-upstream'];

/** Runs jenkins-jobs against `m` with its own HOME (its cache lives there) and an ini naming `m` and the admin's API token. */
async function jenkinsJobs(m: TestMaster, home: string, args: string[], token: string): Promise<{ stdout: string; stderr: string }> {
  const ini = join(home, 'jenkins_jobs.ini');
  await writeFile(ini, `[jenkins]\nurl=${m.url}\nuser=${ADMIN.username}\npassword=${token}\nquery_plugins_info=True\n\n[job_builder]\nignore_cache=False\n`);
  return run('jenkins-jobs', ['--conf', ini, ...args], { env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, 'cache') }, timeout: 120_000 });
}

const updatedAt = async (m: TestMaster) =>
  Object.fromEntries(
    (await m.pool.any(sql.type(z.object({ name: z.string(), updated_at: z.number() }))`SELECT name, updated_at FROM jobs ORDER BY name`)).map((r) => [r.name, r.updated_at]),
  );

test('jenkins-jobs update creates the jobs; a second update --ignore-cache changes none of them', async (t) => {
  // A master of its own: what is compared is every job on it.
  const m = await startTestMaster();
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const home = await mkdtemp(join(tmpdir(), 'jk-jjb-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const made = await call(m.url, 'POST', '/api/users/admin/tokens', { token: admin, json: { name: 'jjb' } });
  t.is(made.status, 201, made.text);
  const token = made.body.tokenValue as string;

  const first = await jenkinsJobs(m, home, ['update', JOBS_YAML], token);
  t.regex(first.stderr, /Number of jobs updated: 3/);
  const upstream = (await call(m.url, 'GET', '/api/jobs/jjb-upstream', { token: admin })).body;
  t.like(upstream, {
    label: 'linux && !arm',
    concurrentBuild: true,
    quietPeriod: 3,
    buildDiscarder: { numToKeep: 10, daysToKeep: 30 },
    timeoutMinutes: 20,
    triggers: { cron: 'H 2 * * 1-5', upstream: { projects: 'jjb-library', threshold: 'UNSTABLE' } },
    steps: [{ type: 'shell' }, { type: 'shell', script: 'exit 3', unstableReturn: 3 }],
    publishers: [
      { type: 'archiveArtifacts', artifacts: 'out/**', allowEmptyArchive: true },
      { type: 'triggerBuilds', projects: 'jjb-downstream', condition: 'UNSTABLE_OR_BETTER', currentParameters: true, predefinedParameters: 'VERSION=${BUILD_NUMBER}\nTARGET=prod\n' },
    ],
  });
  t.deepEqual(
    upstream.parameters.map((p: { type: string; name: string }) => `${p.type} ${p.name}`),
    ['string GREETING', 'boolean LOUD', 'choice TARGET', 'text NOTES', 'password SECRET', 'run LIBRARY_BUILD', 'file conf/settings.xml'],
  );
  t.is(upstream.parameters[4].default, '****', 'the password default is sealed and hidden');
  t.deepEqual(upstream.downstreamProjects, ['jjb-downstream']);
  // What Jonkkins does not map (the timestamper wrapper, the archiver's fingerprint…) comes back from GET config.xml.
  const xml = await fetch(`${m.url}/job/jjb-upstream/config.xml`, { headers: { authorization: `Bearer ${admin}` } }).then((r) => r.text());
  t.regex(xml, /<hudson.plugins.timestamper.TimestamperBuildWrapper\/>/);
  t.regex(xml, /<fingerprint>false<\/fingerprint>/);

  const before = await updatedAt(m);
  t.deepEqual(Object.keys(before), NAMES);
  const second = await jenkinsJobs(m, home, ['--ignore-cache', 'update', JOBS_YAML], token);
  t.regex(second.stderr, /Number of jobs updated: 3/, 'JJB posted every config.xml again');
  t.deepEqual(await updatedAt(m), before, 'no job changed');
});

test('the XML JJB writes (jenkins-jobs test) round-trips: the same document, a stable rendering, every JJB element kept', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'jk-jjb-xml-'));
  try {
    await run('jenkins-jobs', ['test', JOBS_YAML, '-o', out], { env: { ...process.env, HOME: out }, timeout: 120_000 });
    for (const name of NAMES) {
      const xml = await readFile(join(out, name), 'utf8');
      const first = parseConfigXml(xml, name);
      const rendered = renderConfigXml(Job.parse(first.document), first.preserved);
      const second = parseConfigXml(rendered, name);
      t.deepEqual(second.document, first.document, name);
      t.is(renderConfigXml(Job.parse(second.document), second.preserved), rendered, `${name}: rendering is stable`);
      // Every leaf element JJB wrote is in the rendering with the same text, unless Jonkkins maps it.
      for (const [, element, text] of xml.matchAll(/<([\w.$-]+)>([^<]*)<\/\1>/g)) {
        // Mapped and respelled: entities and newlines in texts, ssh-agent's old <user> as <credentialIds>.
        if (['description', 'properties', 'command', 'defaultValue', 'user'].includes(element!)) continue;
        t.true(rendered.includes(`<${element}>${text}</${element}>`) || rendered.includes(`<${element}>`), `${name}: <${element}>${text}`);
      }
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
