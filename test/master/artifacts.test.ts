/**
 * Artifacts through the REST and agent APIs (the test speaks the agent protocol itself): upload by
 * the agent running the build, list, download and zip by people, copy-artifacts for another
 * running build, refused paths sent raw (node:http: fetch would resolve ../ first), and files
 * removed with discarded builds and deleted jobs.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { ArtifactsService } from '../../master/src/artifacts/artifacts.ts';
import { createLogger } from '../../master/src/log.ts';
import { agentLogin, bootstrapAdmin, call, sessionOf } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let dir: string;
const agents: Record<string, string> = {};
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jk-artifacts-test-'));
  m = await startTestMaster({ artifactsDir: dir });
  admin = await bootstrapAdmin(m.url);
  for (const name of ['lin', 'other']) {
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors: 2 } });
    agents[name] = (await call(m.url, 'POST', '/login-slave', { json: agentLogin(name, body.secret) })).text;
    await call(m.url, 'POST', '/api/agent/heartbeat', { token: agents[name] });
  }
});
test.after.always(async () => {
  await m?.close();
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** A request sent exactly as written (path not normalised), with a raw body. */
function raw(method: string, path: string, opts: { token?: string; body?: Uint8Array | string; headers?: Record<string, string | number> } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer; json(): any }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(m.url);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req = request({ hostname, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
    });
    req.on('error', (e) => reject(Object.assign(e, { request: `${method} ${path}` })));
    req.end(opts.body);
  });
}

const createJob = async (name: string, extra: object = {}) => {
  const res = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name, steps: [{ type: 'shell', script: 'true' }], ...extra } });
  if (res.status !== 201) throw new Error(res.text);
};
const trigger = async (name: string) => (await call(m.url, 'POST', `/api/jobs/${name}/builds`, { token: admin, json: {} })).body.queueId as number;
const start = async (agent: string, id: number, executor = 0) => {
  const res = await call(m.url, 'POST', `/api/agent/builds/${id}/start`, { token: agents[agent], json: { executor } });
  if (res.status !== 200) throw new Error(`start: ${res.status} ${res.text}`);
  return res.body;
};
const finish = (agent: string, id: number, logOffset: number, result = 'SUCCESS') =>
  call(m.url, 'POST', `/api/agent/builds/${id}/finish`, { token: agents[agent], json: { result, logSize: logOffset } });
const upload = (agent: string, id: number, path: string, body: Uint8Array | string) => raw('PUT', `/api/agent/builds/${id}/artifacts/${path}`, { token: agents[agent], body });
const jobId = (name: string) => m.pool.oneFirst(sql.type(z.object({ id: z.coerce.number() }))`SELECT id FROM jobs WHERE name = ${name}`);

/** Runs a build of `name` on lin that archives `files`, and finishes it with `result`. */
async function buildWith(name: string, files: Record<string, Uint8Array | string>, result = 'SUCCESS') {
  const id = await trigger(name);
  const spec = await start('lin', id);
  for (const [path, body] of Object.entries(files)) {
    const res = await upload('lin', id, path, body);
    if (res.status !== 201) throw new Error(`upload ${path}: ${res.status} ${res.body}`);
  }
  await finish('lin', id, spec.logOffset, result);
  return { id, number: spec.number as number };
}

// Serial, though each test makes its own jobs and builds: they all run their builds on agent lin's
// executor 0, which takes one build at a time.
test.serial('the agent running a build uploads its artifacts; people list, download and zip them', async (t) => {
  await createJob('art', { publishers: [{ type: 'archiveArtifacts', artifacts: 'dist/**', excludes: 'dist/tmp/**', onlyIfSuccessful: true }] });
  const id = await trigger('art');
  const spec = await start('lin', id);
  t.deepEqual(spec.archive, [{ artifacts: 'dist/**', excludes: 'dist/tmp/**', onlyIfSuccessful: true }]);

  const binary = randomBytes(3 * 1024 * 1024 + 17);
  const text = 'hello artifacts\n';
  const a = await upload('lin', id, 'dist/a.txt', text);
  t.is(a.status, 201, a.body.toString());
  t.deepEqual(a.json(), { path: 'dist/a.txt', size: text.length, sha256: sha256(text) });
  t.is((await upload('lin', id, 'dist/bin/data%20file.bin', binary)).status, 201);
  t.is((await upload('lin', id, 'dist/empty', '')).status, 201);
  // A second upload of a path replaces it.
  t.is((await upload('lin', id, 'dist/a.txt', 'replaced\n')).status, 201);
  t.is((await upload('lin', id, 'dist/a.txt', text)).status, 201);

  t.is((await upload('other', id, 'dist/intruder.txt', 'x')).status, 403, 'another agent may not upload');
  t.is((await raw('PUT', `/api/agent/builds/${id}/artifacts/dist/p.txt`, { token: admin, body: 'x' })).status, 403, 'a person may not upload');
  const collides = await upload('lin', id, 'dist/a.txt/under-a-file', 'x');
  t.is(collides.status, 409);
  // Refused from its Content-Length, before a byte is stored.
  const tooBig = await raw('PUT', `/api/agent/builds/${id}/artifacts/dist/huge.bin`, { token: agents.lin, body: 'x', headers: { 'content-length': 1024 ** 3 + 1 } });
  t.is(tooBig.status, 413);

  const finished = await finish('lin', id, spec.logOffset);
  t.is(finished.status, 200);
  t.is((await upload('lin', id, 'dist/late.txt', 'x')).status, 409, 'no uploads after finish');

  const expected = [
    { path: 'dist/a.txt', size: text.length, sha256: sha256(text) },
    { path: 'dist/bin/data file.bin', size: binary.length, sha256: sha256(binary) },
    { path: 'dist/empty', size: 0, sha256: sha256('') },
  ];
  t.deepEqual((await call(m.url, 'GET', '/api/jobs/art/builds/1/artifacts', { token: admin })).body, { artifacts: expected });
  t.deepEqual((await call(m.url, 'GET', '/api/jobs/art/builds/lastBuild', { token: admin })).body.artifacts, expected);

  const download = await raw('GET', '/api/jobs/art/builds/1/artifacts/dist/bin/data%20file.bin', { token: admin });
  t.is(download.status, 200);
  t.is(download.headers['content-length'], String(binary.length));
  t.is(download.headers['content-type'], 'application/octet-stream');
  t.regex(String(download.headers['content-disposition']), /^attachment; filename\*=UTF-8''data%20file\.bin$/);
  t.true(download.body.equals(binary));
  t.is((await raw('GET', '/api/jobs/art/builds/1/artifacts/dist/a.txt', { token: admin })).body.toString(), text);
  t.is((await raw('GET', '/api/jobs/art/builds/1/artifacts/dist/nope', { token: admin })).status, 404);
  t.is((await raw('GET', '/api/jobs/art/builds/1/artifacts/dist/a.txt')).status, 401, 'downloads need a login');
  t.is((await raw('GET', '/api/jobs/art/builds/1/artifacts/dist/a.txt', { token: agents.lin })).status, 403, "an agent's token is not for people's endpoints");

  const zip = await raw('GET', '/api/jobs/art/builds/1/artifacts.zip', { token: admin });
  t.is(zip.status, 200);
  t.is(zip.headers['content-type'], 'application/zip');
  const zipFile = join(dir, 'downloaded.zip');
  await writeFile(zipFile, zip.body);
  const script = 'import hashlib, json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))';
  const { stdout } = await promisify(execFile)('python3', ['-c', script, zipFile]);
  t.deepEqual(JSON.parse(stdout), Object.fromEntries(expected.map((e) => [`archive/${e.path}`, e.sha256])), 'under archive/, as in Jenkins');
  await rm(zipFile);

  // On disk: <dir>/<job id>/<build id>/<path>, and nothing else but the (empty) incoming folder.
  const files = (await readdir(join(dir, String(await jobId('art')), String(id)), { recursive: true })).sort();
  t.deepEqual(files, ['dist', 'dist/a.txt', 'dist/bin', 'dist/bin/data file.bin', 'dist/empty']);
  t.deepEqual(await readdir(join(dir, '.incoming')), []);

  await createJob('nothing-archived');
  const plain = await trigger('nothing-archived');
  const plainSpec = await start('lin', plain);
  t.deepEqual(plainSpec.archive, []);
  await finish('lin', plain, plainSpec.logOffset);
  t.is((await raw('GET', '/api/jobs/nothing-archived/builds/1/artifacts.zip', { token: admin })).status, 404);
});

for (const path of ['../escape', '..%2Fescape', '%2e%2e/escape', 'a/../../escape', '%2E%2E%2F%2E%2E%2Fescape', 'a/./b', 'a//b', '/etc/passwd', '%2Fetc%2Fpasswd', 'dir/', 'a%5Cb', 'a%00b']) {
  test(`an upload to the path ${path} (as sent) is refused and writes nothing`, async (t) => {
    const name = `traversal-${randomBytes(4).toString('hex')}`;
    await createJob(name);
    const id = await trigger(name);
    const spec = await start('lin', id);
    const res = await raw('PUT', `/api/agent/builds/${id}/artifacts/${path}`, { token: agents.lin, body: 'pwned' });
    t.is(res.status, 400, res.body.toString());
    t.regex(res.json().error.message, /^Invalid artifact path/);
    t.false(existsSync(join(dir, 'escape')));
    t.false(existsSync(join(dir, String(await jobId(name)), 'escape')));
    t.false(existsSync(join(dir, String(await jobId(name)), String(id))), 'no directory for the build either');
    await finish('lin', id, spec.logOffset);
  });
}

test.serial('people cannot read outside a build’s artifacts either', async (t) => {
  await createJob('fenced');
  await buildWith('fenced', { 'dist/a.txt': 'inside\n' });
  for (const path of ['../1/dist/a.txt', '%2e%2e/%2e%2e/secret', 'dist/..%2F..%2Fx', '/etc/passwd']) {
    const res = await raw('GET', `/api/jobs/fenced/builds/1/artifacts/${path}`, { token: admin });
    t.is(res.status, 400, `${path}: ${res.status} ${res.body}`);
  }
});

test.serial('copy-artifacts: a running build gets another build’s artifacts; only its agent may fetch them', async (t) => {
  await createJob('published');
  await buildWith('published', { 'dist/a.txt': 'hello artifacts\n', 'dist/bin/data%20file.bin': randomBytes(1000), 'dist/empty': '' });
  await createJob('consumer', { steps: [{ type: 'copyArtifacts', project: 'published' }, { type: 'copyArtifacts', project: 'nope' }] });
  const id = await trigger('consumer');
  const spec = await start('lin', id);
  const q = (query: string, token = agents.lin) => call(m.url, 'GET', `/api/agent/builds/${id}/copy-artifacts?${query}`, { token });
  const source = await q('project=PUBLISHED&selector=lastSuccessful');
  t.is(source.status, 200, source.text);
  t.is(source.body.project, 'published');
  t.is(source.body.number, 1);
  t.deepEqual(source.body.artifacts.map((a: { path: string }) => a.path), ['dist/a.txt', 'dist/bin/data file.bin', 'dist/empty']);
  t.is((await q('project=published&selector=1')).body.number, 1);

  const file = await raw('GET', `/api/agent/builds/${id}/copy-artifacts/published/1/dist/a.txt`, { token: agents.lin });
  t.is(file.status, 200);
  t.is(file.body.toString(), 'hello artifacts\n');
  t.is((await raw('GET', `/api/agent/builds/${id}/copy-artifacts/published/1/dist/a.txt`, { token: agents.other })).status, 403, 'not the agent running the build');
  t.is((await raw('GET', `/api/agent/builds/${id}/copy-artifacts/published/1/..%2F..%2Fx`, { token: agents.lin })).status, 400);
  t.is((await raw('GET', `/api/agent/builds/${id}/copy-artifacts/published/1/dist/nope`, { token: agents.lin })).status, 404);
  t.is((await q('project=published&selector=lastSuccessful', agents.other)).status, 403);

  const noProject = await q('project=nope&selector=lastSuccessful');
  t.is(noProject.status, 404);
  t.is(noProject.body.error.message, 'Unable to find project for artifact copy: nope');
  const noBuild = await q('project=published&selector=99');
  t.is(noBuild.status, 404);
  t.regex(noBuild.body.error.message, /^Unable to find a build for artifact copy from: published \(no build #99\)$/);
  t.is((await q('project=published&selector=latest')).status, 400);

  await finish('lin', id, spec.logOffset);
  t.is((await q('project=published&selector=lastSuccessful')).status, 409, 'only while the build runs');
});

test.serial('an agent reaches only the artifacts its build’s copyArtifacts steps name (issue 11 #9)', async (t) => {
  await createJob('secret-art');
  await buildWith('secret-art', { 'key.pem': 'private' });
  await createJob('pub');
  await buildWith('pub', { 'one.txt': '1' });
  await buildWith('pub', { 'two.txt': '2' });
  await createJob('innocent', { steps: [{ type: 'shell', script: 'true' }, { type: 'copyArtifacts', project: 'pub', selector: 1 }] });
  const id = await trigger('innocent');
  const spec = await start('lin', id);
  const select = await call(m.url, 'GET', `/api/agent/builds/${id}/copy-artifacts?project=secret-art&selector=lastSuccessful`, { token: agents.lin });
  t.is(select.status, 403, select.text);
  t.regex(select.body.error.message, /No copyArtifacts step of innocent copies from 'secret-art'/);
  t.is((await raw('GET', `/api/agent/builds/${id}/copy-artifacts/secret-art/1/key.pem`, { token: agents.lin })).status, 403);
  const copy = (selector: string) => call(m.url, 'GET', `/api/agent/builds/${id}/copy-artifacts?project=pub&selector=${selector}`, { token: agents.lin });
  t.like((await copy('1')).body, { project: 'pub', number: 1, artifacts: [{ path: 'one.txt' }] });
  t.is((await copy('2')).status, 403, 'the step selects build #1, not #2');
  t.is((await copy('lastSuccessful')).status, 403, 'nor the latest');
  t.is((await raw('GET', `/api/agent/builds/${id}/copy-artifacts/pub/2/two.txt`, { token: agents.lin })).status, 403);
  await finish('lin', id, spec.logOffset);
});

test.serial('lastSuccessful means the latest SUCCESS or UNSTABLE build, never a failed or running one', async (t) => {
  await createJob('results', { concurrentBuild: true });
  await buildWith('results', { 'one.txt': '1' }, 'UNSTABLE');
  await buildWith('results', { 'two.txt': '2' }, 'FAILURE');
  const running = await trigger('results');
  const runningSpec = await start('lin', running);
  t.is((await upload('lin', running, 'three.txt', '3')).status, 201);

  await createJob('reader', { steps: [{ type: 'copyArtifacts', project: '${SOURCE}' }], env: { SOURCE: 'results' } });
  const id = await trigger('reader');
  const spec = await start('other', id);
  const source = await call(m.url, 'GET', `/api/agent/builds/${id}/copy-artifacts?project=results&selector=lastSuccessful`, { token: agents.other });
  t.like(source.body, { project: 'results', number: 1, artifacts: [{ path: 'one.txt' }] });
  t.is((await call(m.url, 'GET', `/api/agent/builds/${id}/copy-artifacts?project=results&selector=2`, { token: agents.other })).body.artifacts[0].path, 'two.txt', 'a failed build by number');
  const busy = await call(m.url, 'GET', `/api/agent/builds/${id}/copy-artifacts?project=results&selector=3`, { token: agents.other });
  t.is(busy.status, 404);
  t.regex(busy.body.error.message, /still running/);
  await finish('other', id, spec.logOffset);
  await finish('lin', running, runningSpec.logOffset);
});

test.serial('discarded builds and deleted jobs take their artifact files with them', async (t) => {
  await createJob('rotate', { buildDiscarder: { numToKeep: 1 } });
  const first = await buildWith('rotate', { 'keep/one.txt': 'one' });
  const firstDir = join(dir, String(await jobId('rotate')), String(first.id));
  t.true(existsSync(join(firstDir, 'keep/one.txt')));
  const second = await buildWith('rotate', { 'keep/two.txt': 'two' });
  // #1 is older than the newest one and no longer the last successful build: discarded, files too.
  t.is((await call(m.url, 'GET', '/api/jobs/rotate/builds/1', { token: admin })).status, 404);
  t.false(existsSync(firstDir));
  const secondDir = join(dir, String(await jobId('rotate')), String(second.id));
  t.true(existsSync(join(secondDir, 'keep/two.txt')));
  t.is((await raw('GET', '/api/jobs/rotate/builds/2/artifacts/keep/two.txt', { token: admin })).body.toString(), 'two');

  const rotateId = await jobId('rotate');
  t.is((await call(m.url, 'DELETE', '/api/jobs/rotate', { token: admin })).status, 204);
  t.false(existsSync(join(dir, String(rotateId))));
});

test.serial('a streamed upload over the size limit is refused (413) and leaves nothing behind', async (t) => {
  await createJob('limited');
  const id = await trigger('limited');
  const spec = await start('lin', id);
  const small = new ArtifactsService({ pool: m.pool, dir, log: createLogger('silent'), maxBytes: 1000, copyCheck: async () => {} });
  const lin = { name: 'lin', session: sessionOf(agents.lin!) };
  const chunks = Array.from({ length: 5 }, () => Buffer.alloc(300, 1)); // no length known in advance
  const err = await t.throwsAsync(small.upload(lin, id, 'big.bin', Readable.from(chunks)));
  t.like(err, { status: 413, code: 'payload_too_large' });
  t.deepEqual((await call(m.url, 'GET', '/api/jobs/limited/builds/1/artifacts', { token: admin })).body, { artifacts: [] });
  t.false(existsSync(join(dir, String(await jobId('limited')), String(id), 'big.bin')));
  t.deepEqual(await readdir(join(dir, '.incoming')), []);
  t.like(await small.upload(lin, id, 'fits.bin', Readable.from([Buffer.alloc(1000, 2)])), { path: 'fits.bin', size: 1000 });
  await finish('lin', id, spec.logOffset);
});
