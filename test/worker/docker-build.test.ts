/**
 * The dockerBuild step on a real agent with real parts: podman (vfs storage of the test's own,
 * chroot isolation) builds, Debian's docker-registry stores, and the registry's HTTP API is asked
 * for what it stored. No image comes from outside: the base is `FROM scratch` plus busybox-static.
 */
import { copyFile } from 'node:fs/promises';
import test from 'ava';
import { startRig } from '../helpers/agent-rig.ts';
import { call } from '../helpers/http.ts';
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

test('a dockerBuild step builds, pushes its tags and records the digest the registry serves; later steps get DOCKER_IMAGE_DIGEST', async (t) => {
  const registry = await startRegistry(t);
  // No labels from the admin: the agent labels itself docker because podman works here.
  const rig = await startRig(t, { labels: [], agent: { env: { ...process.env, ...(await podmanEnvironment(t)) } } });
  t.deepEqual((await call(rig.m.url, 'GET', `/api/agents/${rig.name}`, { token: rig.admin })).body.probedLabels, ['docker']);
  await rig.job('image', {
    label: 'docker',
    steps: [
      contextStep,
      { type: 'dockerBuild', context: 'app', repository: 'team/app', tags: ['$BUILD_NUMBER', 'latest'], buildArgs: { MSG: 'from-$JOB_NAME' }, registry: { url: registry.url } },
      { type: 'shell', script: 'echo "digest=$DOCKER_IMAGE_DIGEST"' },
    ],
  });
  const b = await rig.finished(await rig.trigger('image'), 60_000);
  t.is(b.result, 'SUCCESS', b.text);
  t.regex(b.text, /\nbuilt-from-image\n/, 'the RUN step ran, with the build argument expanded');
  const image = `${registry.host}/team/app`;
  const served = await registry.manifest('team/app', '1');
  t.is(served.status, 200);
  const digest = served.digest ?? 'none';
  t.regex(digest, /^sha256:[0-9a-f]{64}$/);
  t.is(served.bodyDigest, digest, 'the digest is the manifest the registry sends');
  t.is((await registry.manifest('team/app', 'latest')).digest, served.digest, 'both tags name the one image');
  const byDigest = await registry.manifest('team/app', digest);
  t.is(byDigest.status, 200);
  t.is(byDigest.bodyDigest, digest);
  t.true(b.text.includes(`Docker image: ${image}@${served.digest}\n`), b.text);
  t.true(b.text.includes(`digest=${served.digest}\n`), b.text);
  const build = await rig.build('image', b.number);
  t.like(build.dockerImages, [{ step: 1, image, tags: ['1', 'latest'], digest: served.digest, reference: `${image}@${served.digest}` }]);
});

test('a tag whose variables expand to an option fails the step before anything runs', async (t) => {
  const rig = await startRig(t, { labels: [], agent: { env: { ...process.env, ...(await podmanEnvironment(t)) } } });
  await rig.job('evil-tag', {
    parameters: [{ type: 'string', name: 'T', default: '--rm' }],
    steps: [contextStep, { type: 'dockerBuild', context: 'app', repository: 'team/app', tags: ['$T'], push: false }],
  });
  const b = await rig.finished(await rig.trigger('evil-tag'));
  t.is(b.result, 'FAILURE');
  t.regex(b.text, /ERROR: the tag "\$T" expands to "--rm", which is not a valid tag/);
  t.notRegex(b.text, /podman build/);
});
