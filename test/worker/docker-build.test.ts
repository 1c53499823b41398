/**
 * The dockerBuild step on a real agent with real parts: podman (vfs storage of the test's own,
 * chroot isolation) builds, Debian's docker-registry stores, and the registry's HTTP API is asked
 * for what it stored. No image comes from outside: the base is `FROM scratch` plus busybox-static.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { startRig } from '../helpers/agent-rig.ts';
import { call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { podmanEnvironment, startRegistry } from '../helpers/registry.ts';

const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'COPY hello.txt /hello.txt',
  'ARG MSG',
  'RUN ["/bin/busybox", "sh", "-c", "echo built-$MSG"]',
].join('\\n');

/** A shell step that writes the build context into app/ of the workspace. */
const contextStep = { type: 'shell', script: `mkdir -p app && cp /bin/busybox app/ && echo hello > app/hello.txt && printf '${DOCKERFILE}\\n' > app/Dockerfile` };

const USER = { name: 'ci', password: 'reg-s3cret-pw' };

/** A rig whose agent has podman storage of its own, and a registry credential for `password`. */
async function dockerRig(t: ExecutionContext, password: string) {
  const rig = await startRig(t, { labels: [], agent: { env: { ...process.env, ...(await podmanEnvironment(t)) } } });
  const added = await call(rig.m.url, 'POST', '/api/credentials', { token: rig.admin, json: { id: 'registry', kind: 'usernamePassword', username: USER.name, password } });
  t.is(added.status, 201, added.text);
  return rig;
}

test('a dockerBuild step logs in, builds, pushes its tags and records the digest the registry serves; later steps get DOCKER_IMAGE_DIGEST', async (t) => {
  t.timeout(120_000); // podman builds for real: seconds each, more on a loaded machine
  const registry = await startRegistry(t, USER);
  const rig = await dockerRig(t, USER.password);
  // No labels from the admin: the agent labels itself docker because podman works here.
  t.deepEqual((await call(rig.m.url, 'GET', `/api/agents/${rig.name}`, { token: rig.admin })).body.probedLabels, ['docker']);
  await rig.job('image', {
    label: 'docker',
    steps: [
      contextStep,
      { type: 'dockerBuild', context: 'app', repository: 'team/app', tags: ['$BUILD_NUMBER', 'latest'], buildArgs: { MSG: 'from-$JOB_NAME' }, registry: { url: registry.url, credentialsId: 'registry' } },
      { type: 'shell', script: `echo "digest=$DOCKER_IMAGE_DIGEST"\nif env | grep -q '${USER.password}'; then echo env-leaks; else echo env-clean; fi\necho "tmp-entries=$(ls "$WORKSPACE_TMP" | wc -l)"` },
    ],
  });
  const b = await rig.finished(await rig.trigger('image'), 60_000);
  t.is(b.result, 'SUCCESS', b.text);
  t.regex(b.text, /\$ podman login --authfile=\S+@tmp\/docker-\w+\/auth\.json --tls-verify=false --username=ci --password-stdin 127\.0\.0\.1:\d+\n/);
  t.regex(b.text, /Login Succeeded/);
  t.regex(b.text, /\nbuilt-from-image\n/, 'the RUN step ran, with the build argument expanded');
  const image = `${registry.host}/team/app`;
  const served = await registry.manifest('team/app', '1');
  t.is(served.status, 200);
  const digest = served.digest ?? 'none';
  t.regex(digest, /^sha256:[0-9a-f]{64}$/);
  t.is(served.bodyDigest, digest, 'the digest is that of the manifest the registry sends');
  t.is((await registry.manifest('team/app', 'latest')).digest, digest, 'both tags name the one image');
  const byDigest = await registry.manifest('team/app', digest);
  t.is(byDigest.status, 200);
  t.is(byDigest.bodyDigest, digest);
  t.true(b.text.includes(`Docker image: ${image}@${digest}\n`), b.text);
  t.true(b.text.includes(`digest=${digest}\n`), b.text);
  t.regex(b.text, /\nenv-clean\n/, 'the password is in no later step\'s environment');
  t.regex(b.text, /\ntmp-entries=0\n/, 'the auth file is gone');
  t.false(b.text.includes(USER.password));
  const build = await rig.build('image', b.number);
  t.like(build.dockerImages, [{ step: 1, image, tags: ['1', 'latest'], digest, reference: `${image}@${digest}` }]);
});

test('a wrong registry password fails the step with a clear message and no secret in the console', async (t) => {
  t.timeout(120_000); // podman builds for real: seconds each, more on a loaded machine
  const registry = await startRegistry(t, USER);
  const wrong = 'not-the-Pa55word';
  const rig = await dockerRig(t, wrong);
  await rig.job('denied', {
    steps: [
      contextStep,
      { type: 'dockerBuild', context: 'app', repository: 'team/app', registry: { url: registry.url, credentialsId: 'registry' } },
      { type: 'shell', script: 'echo not-reached' },
    ],
  });
  const b = await rig.finished(await rig.trigger('denied'), 60_000);
  t.is(b.result, 'FAILURE', b.text);
  t.regex(b.text, new RegExp(`ERROR: could not log in to ${registry.host.replace(/\./g, '\\.')} as ci \\(exit code \\d+\\): the registry refused the credential, or could not be reached\n`));
  t.regex(b.text, /Build step 'Docker build and publish' marked build as failure\nFinished: FAILURE\n$/);
  t.false(b.text.includes(wrong), b.text);
  t.notRegex(b.text, /podman build|not-reached/);
  t.deepEqual((await rig.build('denied', b.number)).dockerImages, []);
  t.is((await registry.manifest('team/app', 'latest')).status, 404);
});

test('a tag whose variables expand to an option, or a context out of the workspace, fails the step before anything runs', async (t) => {
  t.timeout(120_000); // podman builds for real: seconds each, more on a loaded machine
  const rig = await startRig(t, { labels: [], agent: { env: { ...process.env, ...(await podmanEnvironment(t)) } } });
  await rig.job('evil-tag', {
    parameters: [{ type: 'string', name: 'T', default: '--rm' }],
    steps: [contextStep, { type: 'dockerBuild', context: 'app', repository: 'team/app', tags: ['$T'], push: false }],
  });
  const b = await rig.finished(await rig.trigger('evil-tag'));
  t.is(b.result, 'FAILURE');
  t.regex(b.text, /ERROR: the tag "\$T" expands to "--rm", which is not a valid tag/);
  t.notRegex(b.text, /podman build/);
  // A context that is a symlink out of the workspace is refused too.
  await rig.job('escape', { steps: [{ type: 'shell', script: 'ln -sfn /etc out' }, { type: 'dockerBuild', context: 'out', repository: 'team/app', push: false }] });
  const escaped = await rig.finished(await rig.trigger('escape'));
  t.is(escaped.result, 'FAILURE');
  t.regex(escaped.text, /ERROR: the context out leads out of the workspace\n/);
  t.notRegex(escaped.text, /podman build/);
});

test('aborting a build during the image build stops podman at once and removes the step\'s auth directory', async (t) => {
  t.timeout(120_000); // podman builds for real: seconds each, more on a loaded machine
  const rig = await startRig(t, { labels: [], agent: { env: { ...process.env, ...(await podmanEnvironment(t)) } } });
  const slow = "printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo sleeping; /bin/busybox sleep 120\"]\\n' > app/Dockerfile";
  await rig.job('aborted', { steps: [{ type: 'shell', script: 'mkdir -p app && cp /bin/busybox app/' }, { type: 'shell', script: slow }, { type: 'dockerBuild', context: 'app', repository: 'team/slow', push: false }] });
  const queueId = await rig.trigger('aborted');
  const number = await rig.numberOf(queueId);
  await until('the RUN step to sleep', async () => (await rig.consoleBytes('aborted', number)).includes('\nsleeping\n'), 60_000, 100);
  const abortedAt = Date.now();
  t.is((await call(rig.m.url, 'POST', `/api/jobs/aborted/builds/${number}/abort`, { token: rig.admin })).status, 202);
  const b = await rig.finished(queueId, 60_000);
  t.is(b.result, 'ABORTED', b.text);
  t.true(Date.now() - abortedAt < 20_000, 'not the 120 s the RUN step sleeps');
  t.regex(b.text, /\nsleeping\nBuild was aborted\nAborted by admin\nFinished: ABORTED\n$/);
  t.deepEqual(await readdir(join(rig.workdir, 'workspace', 'aborted@tmp')), []);
});
