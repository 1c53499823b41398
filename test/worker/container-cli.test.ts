/**
 * Which container CLI an agent uses, and how dockerBuild speaks to docker. The probe is real
 * (podman works here; the machine's docker CLI has no daemon). docker itself cannot run here (no
 * daemon can), so the docker half drives a stand-in `docker` script that records what it was
 * given — the arguments, DOCKER_CONFIG, standard input — and answers as docker does.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { findContainerCli, parseContainerCliChoice } from '../../worker/src/container-cli.ts';
import { startRig } from '../helpers/agent-rig.ts';
import { call } from '../helpers/http.ts';
import { podmanEnvironment } from '../helpers/registry.ts';

async function binDir(t: ExecutionContext, scripts: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-fake-bin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

test('auto takes podman where no docker daemon answers; a named CLI that does not work is none; none probes nothing', async (t) => {
  const env = { ...process.env, ...(await podmanEnvironment(t)) };
  t.deepEqual(await findContainerCli('auto', env), { kind: 'podman', command: 'podman' });
  t.is(await findContainerCli('docker', env), null);
  t.is(await findContainerCli('none', { PATH: '/nonexistent' }), null);
  t.is(parseContainerCliChoice(undefined), 'auto');
  t.is(parseContainerCliChoice(' podman '), 'podman');
  t.throws(() => parseContainerCliChoice('kubectl'), { message: 'JONKKINS_CONTAINER_CLI must be one of auto, docker, podman, none, got "kubectl"' });
});

test('a probe that hangs is killed at its timeout: that CLI does not work', async (t) => {
  const hung = await binDir(t, { docker: 'exec sleep 30' });
  const started = Date.now();
  t.is(await findContainerCli('docker', { ...process.env, PATH: `${hung}:${process.env.PATH}` }, 300), null);
  t.true(Date.now() - started < 10_000, 'not the 30 s the hung docker would take');
});

const FAKE_DOCKER = `echo "argv: $*" >> "$FAKE_DOCKER_LOG"
case "$1" in
  version) echo 27.0.1 ;;
  login) read -r pw; echo "stdin: $pw" >> "$FAKE_DOCKER_LOG"; echo "config: $DOCKER_CONFIG" >> "$FAKE_DOCKER_LOG"
    if [ "$pw" = "docker-pw-1" ]; then echo '{"auths":{}}' > "$DOCKER_CONFIG/config.json"; echo "Login Succeeded"; else echo "Error response from daemon: unauthorized" >&2; exit 1; fi ;;
  build) echo "Successfully built 0123456789ab" ;;
  push) echo "The push refers to repository [$2]"; echo "\${2##*:}: digest: sha256:$(printf '%064d' 7) size: 528" ;;
esac`;

test('with docker: login through standard input into DOCKER_CONFIG (then removed), --option=value arguments, the digest from push\'s output', async (t) => {
  const bin = await binDir(t, { docker: FAKE_DOCKER });
  const log = join(bin, 'calls.log');
  const rig = await startRig(t, { labels: [], agent: { containerCli: 'docker', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_DOCKER_LOG: log } } });
  t.is((await call(rig.m.url, 'POST', '/api/credentials', { token: rig.admin, json: { id: 'hub', kind: 'usernamePassword', username: 'deployer', password: 'docker-pw-1' } })).status, 201);
  await rig.job('with-docker', {
    label: 'docker',
    steps: [
      { type: 'shell', script: 'mkdir -p ctx && echo "FROM scratch" > ctx/Dockerfile' },
      { type: 'dockerBuild', context: 'ctx', repository: 'team/app', tags: ['v$BUILD_NUMBER'], buildArgs: { A: '-x --privileged' }, pull: true, registry: { url: 'https://registry.example.com:5000', credentialsId: 'hub' } },
    ],
  });
  const b = await rig.finished(await rig.trigger('with-docker'));
  t.is(b.result, 'SUCCESS', b.text);
  const digest = `sha256:${'0'.repeat(63)}7`;
  t.true(b.text.includes(`Docker image: registry.example.com:5000/team/app@${digest}\n`), b.text);
  t.false(b.text.includes('docker-pw-1'));
  const calls = (await readFile(log, 'utf8')).split('\n');
  const ws = join(rig.workdir, 'workspace', 'with-docker');
  t.deepEqual(calls.filter((l) => l.startsWith('argv: ') && !l.startsWith('argv: version')), [
    'argv: login --username=deployer --password-stdin registry.example.com:5000',
    `argv: build --file=${ws}/ctx/Dockerfile --tag=registry.example.com:5000/team/app:v1 --build-arg=A=-x --privileged --pull ${ws}/ctx`,
    'argv: push registry.example.com:5000/team/app:v1',
  ]);
  t.true(calls.includes('stdin: docker-pw-1'), 'the password came on standard input');
  const config = calls.find((l) => l.startsWith('config: '))!.slice('config: '.length);
  t.true(config.startsWith(`${ws}@tmp/docker-`), config);
  await t.throwsAsync(readFile(join(config, 'config.json')), { code: 'ENOENT' }, 'the auth file is removed with the step');
  t.like((await rig.build('with-docker', b.number)).dockerImages, [{ image: 'registry.example.com:5000/team/app', tags: ['v1'], digest }]);
});
