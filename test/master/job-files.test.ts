import { createHash } from 'node:crypto';
import { request } from 'node:http';
import test from 'ava';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'with files' } });
});
test.after.always(() => m?.close());

/** PUT through node:http, which sends the path exactly as given (fetch would resolve ../ first). */
function put(path: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<{ status: number; json(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(m.url);
    const options = { hostname, port, path: `/api/jobs/with%20files/files/${path}`, method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': contentType } };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a job file is stored byte for byte, listed, replaced and deleted', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 31) % 256));
  const created = await put('config/deep/app.bin', new Uint8Array(bytes));
  t.is(created.status, 201);
  t.like(await created.json(), { path: 'config/deep/app.bin', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  const back = await fetch(`${m.url}/api/jobs/with%20files/files/config/deep/app.bin`, { headers: { authorization: `Bearer ${admin}` } });
  t.true(Buffer.from(await back.arrayBuffer()).equals(bytes));
  // A JSON content type is still just bytes: the body parser must not touch an upload.
  const json = await put('settings.json', '{"a": 1}', 'application/json');
  t.is(json.status, 201);
  t.is((await put('settings.json', '{"a": 2}', 'application/json')).status, 200, 'replacing answers 200');
  const list = await call(m.url, 'GET', '/api/jobs/with%20files/files', { token: admin });
  t.deepEqual(list.body.files.map((f: { path: string }) => f.path), ['config/deep/app.bin', 'settings.json']);
  t.is((await call(m.url, 'DELETE', '/api/jobs/with%20files/files/settings.json', { token: admin })).status, 204);
  t.is((await call(m.url, 'GET', '/api/jobs/with%20files/files/settings.json', { token: admin })).status, 404);
});

for (const path of ['..%2Fescape', '%2e%2e/escape', 'a/../../escape', 'a/./b', 'a//b', '%2Fetc%2Fpasswd', 'dir/', 'a%5Cb']) {
  test(`the path ${path} (as sent) is refused with 400`, async (t) => {
    const res = await put(path, 'x');
    t.is(res.status, 400, path);
    t.regex(((await res.json()) as { error: { message: string } }).error.message, /Invalid file path/);
  });
}

test('job files need a login', async (t) => {
  const res = await fetch(`${m.url}/api/jobs/with%20files/files/x`, { method: 'PUT', body: 'x' });
  t.is(res.status, 401);
});
