/**
 * Names taken from users are never looked up on a plain object, where `__proto__`, `constructor`
 * or `toString` find Object's own members: build references resolve through a Map (404, not 500),
 * parameter values are read with Object.hasOwn, and '__proto__' is no variable name. Zip entries
 * are every artifact's legal name, even one yazl would read as a drive (`C:evil.txt`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await registeredAgentToken(m.url, admin, { name: 'lin', executors: 1 });
  await call(m.url, 'POST', '/api/agent/heartbeat', { token: agent });
});
test.after.always(() => m?.close());

const json = (method: string, path: string, body?: unknown, token = admin) => call(m.url, method, path, { token, json: body });

/** A build of `job` run by the agent, archiving `files`; its number. */
async function buildWith(job: string, files: Record<string, string>): Promise<number> {
  const id = (await json('POST', `/api/jobs/${job}/builds`, {})).body.queueId as number;
  const spec = await json('POST', `/api/agent/builds/${id}/start`, { executor: 0 }, agent);
  if (spec.status !== 200) throw new Error(`start: ${spec.status} ${spec.text}`);
  for (const [path, text] of Object.entries(files)) {
    const res = await fetch(`${m.url}/api/agent/builds/${id}/artifacts/${path}`, { method: 'PUT', headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/octet-stream' }, body: text });
    if (res.status !== 201) throw new Error(`upload ${path}: ${res.status} ${await res.text()}`);
  }
  await json('POST', `/api/agent/builds/${id}/finish`, { result: 'SUCCESS', logSize: spec.body.logOffset }, agent);
  return spec.body.number as number;
}

test('build references named like Object members are a 404 on every build route', async (t) => {
  t.is((await json('POST', '/api/jobs', { name: 'refs', steps: [{ type: 'shell', script: 'true' }] })).status, 201);
  await buildWith('refs', { 'a.txt': 'a' });
  for (const ref of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    for (const [method, path] of [['GET', ''], ['GET', '/log'], ['GET', '/console'], ['GET', '/artifacts'], ['GET', '/artifacts.zip'], ['GET', '/artifacts/a.txt'], ['POST', '/abort']] as const) {
      const res = await json(method, `/api/jobs/refs/builds/${ref}${path}`);
      t.is(res.status, 404, `${method} ${ref}${path}: ${res.text}`);
      t.regex(res.body.error.message, /No build/);
    }
  }
  t.is((await json('GET', '/api/jobs/refs/builds/lastBuild')).body.number, 1, 'permalinks still resolve');
});

test('an artifact named C:evil.txt is in the zip under archive/, with its bytes', async (t) => {
  t.is((await json('POST', '/api/jobs', { name: 'drives', steps: [{ type: 'shell', script: 'true' }] })).status, 201);
  const n = await buildWith('drives', { 'C:evil.txt': 'not a drive\n', 'sub/D:x': 'deeper\n', 'plain.txt': 'plain\n' });
  const zip = await fetch(`${m.url}/api/jobs/drives/builds/${n}/artifacts.zip`, { headers: { authorization: `Bearer ${admin}` } });
  t.is(zip.status, 200);
  const dir = await mkdtemp(join(tmpdir(), 'jk-zip-'));
  try {
    const file = join(dir, 'a.zip');
    await writeFile(file, Buffer.from(await zip.arrayBuffer()));
    const script = 'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({i.filename: z.read(i).decode() for i in z.infolist()}))';
    const { stdout } = await promisify(execFile)('python3', ['-c', script, file]);
    t.deepEqual(JSON.parse(stdout), { 'archive/C:evil.txt': 'not a drive\n', 'archive/plain.txt': 'plain\n', 'archive/sub/D:x': 'deeper\n' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a parameter named 'constructor' takes its default when not given; '__proto__' is no parameter name", async (t) => {
  const created = await json('POST', '/api/jobs', { name: 'params', parameters: [{ type: 'string', name: 'constructor', default: 'built' }, { type: 'password', name: 'toString', default: 's3cret' }] });
  t.is(created.status, 201, created.text);
  const queued = await json('POST', '/api/jobs/params/builds', {});
  t.is(queued.status, 201, queued.text);
  const item = (await json('GET', '/api/queue')).body.items.find((i: { id: number }) => i.id === queued.body.queueId);
  t.is(item.parameters.constructor, 'built');
  const given = await json('POST', '/api/jobs/params/builds', { parameters: { constructor: 'given' } });
  t.is(given.status, 201, given.text);

  const proto = await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'proto', parameters: [{ type: 'string', name: '__proto__' }] } });
  t.is(proto.status, 400);
  t.is(proto.body.error.details[0].field, 'parameters.0.name');
  t.regex(proto.body.error.message, /must not be '__proto__'/);
});
