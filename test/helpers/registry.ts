/**
 * Docker builds under test: Debian's distribution registry (`docker-registry serve`) on a loopback
 * port with htpasswd (bcrypt, `htpasswd -B`) authentication, read back through its HTTP API as a
 * client would (Accept headers, Basic auth); and podman storage of a test's own (vfs under a
 * temp dir, chroot isolation for RUN), given to the agent through CONTAINERS_STORAGE_CONF.
 */
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { freePort, stopProcess, until } from './processes.ts';

const run = promisify(execFile);

/** What registries answer a manifest GET with, OCI and Docker schema 2, single images and lists. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface TestRegistry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** GET /v2/<name>/manifests/<reference>: the status, the digest the registry names and the sha256 of the body it sent. */
  manifest(name: string, reference: string): Promise<{ status: number; digest: string | null; bodyDigest: string; mediaType: string | null }>;
}

/** A registry with one user (bcrypt htpasswd; without a user, open to all), stopped and removed with the test. */
export async function startRegistry(t: ExecutionContext, user?: { name: string; password: string }): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-registry-'));
  const port = await freePort();
  if (user) await writeFile(join(dir, 'htpasswd'), (await run('htpasswd', ['-Bbn', user.name, user.password])).stdout);
  await writeFile(join(dir, 'config.yml'), [
    'version: 0.1',
    'log: { level: warn }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
    `http: { addr: 127.0.0.1:${port} }`,
    ...(user ? [`auth: { htpasswd: { realm: jonkkins-test, path: ${join(dir, 'htpasswd')} } }`] : []),
    '',
  ].join('\n'));
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  t.teardown(async () => {
    await stopProcess(child, 5000);
    await rm(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  await until(`the registry on ${port} to answer (${stderr})`, async () => (await fetch(`${url}/v2/`).catch(() => null))?.status === (user ? 401 : 200), 15_000, 50);
  const auth: Record<string, string> = user ? { authorization: `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}` } : {};
  return {
    url,
    host: `127.0.0.1:${port}`,
    async manifest(name, reference) {
      const res = await fetch(`${url}/v2/${name}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT, ...auth } });
      const body = Buffer.from(await res.arrayBuffer());
      return {
        status: res.status,
        digest: res.headers.get('docker-content-digest'),
        bodyDigest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
        mediaType: res.headers.get('content-type'),
      };
    },
  };
}

/**
 * The environment an agent's podman needs to run under test: storage of its own (vfs: works as
 * root in a container, where overlay may not) in a temp dir removed with the test, and chroot
 * isolation so that RUN steps work without a container runtime.
 */
export async function podmanEnvironment(t: ExecutionContext): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-podman-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const conf = join(dir, 'storage.conf');
  await writeFile(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'root')}"\nrunroot = "${join(dir, 'run')}"\n`);
  return { CONTAINERS_STORAGE_CONF: conf, BUILDAH_ISOLATION: 'chroot', TMPDIR: dir };
}
