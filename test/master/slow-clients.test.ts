/**
 * Hostile and slow clients: no request holds a database connection while it waits on its client,
 * and what one request may make the master hold is bounded, refused as soon as a limit is crossed.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import test from 'ava';
import { agentLogin, bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let user: string;
let agent: string;
test.before(async () => {
  m = await startTestMaster(); // a pool of 5 connections (test/helpers/test-master.ts)
  admin = await bootstrapAdmin(m.url);
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'plain', password: 'plain-password' } });
  user = await login(m.url, 'plain', 'plain-password');
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'files', parameters: [{ type: 'string', name: 'P' }] } });
  const registered = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'worker-1', executors: 1 } });
  agent = (await call(m.url, 'POST', '/login-slave', { json: agentLogin('worker-1', registered.body.secret) })).text;
});
test.after.always(() => m?.close());

interface OpenUpload {
  req: ClientRequest;
  response: Promise<IncomingMessage>;
  /** Resolves once the master is ready for the body (it has taken the request: 100 Continue). */
  started: Promise<void>;
}

/** A request whose body the test sends when it wants to; the master is told to expect `length` bytes. */
function openUpload(method: string, path: string, token: string, headers: Record<string, string | number>): OpenUpload {
  const { hostname, port } = new URL(m.url);
  const req = request({ hostname, port, path, method, headers: { authorization: `Bearer ${token}`, expect: '100-continue', ...headers } });
  const started = new Promise<void>((resolve) => req.once('continue', resolve));
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  req.flushHeaders();
  return { req, response, started };
}

const bodyOf = async (res: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || 'null');
};

/** A multipart body of one file part named `name`, holding `content`. */
function filePart(name: string, content: Buffer): { type: string; body: Buffer } {
  const boundary = `b-${name}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${name}.txt"\r\ncontent-type: text/plain\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { type: `multipart/form-data; boundary=${boundary}`, body };
}

test('uploads trickling a byte at a time, more of them than the pool has connections, hold none: people and agents are served meanwhile', async (t) => {
  await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'uploads', parameters: [{ type: 'file', name: 'F' }] } });
  const queued = await call(m.url, 'POST', '/api/jobs/files/builds', { token: admin, json: { parameters: { P: 'x' } } });
  const buildId = queued.body.queueId as number;
  t.is((await call(m.url, 'POST', `/api/agent/builds/${buildId}/start`, { token: agent, json: { executor: 0 } })).status, 200);

  const content = Buffer.from('0123456789');
  const form = filePart('F', content);
  const bodies: Buffer[] = [];
  const slow: OpenUpload[] = [];
  const open = (method: string, path: string, token: string, type: string, body: Buffer) => {
    slow.push(openUpload(method, path, token, { 'content-type': type, 'content-length': body.length }));
    bodies.push(body);
  };
  for (let i = 0; i < 4; i++) open('PUT', `/api/jobs/files/files/slow-${i}.txt`, user, 'application/octet-stream', content); // job files, as a plain user
  for (let i = 0; i < 3; i++) open('POST', '/api/jobs/uploads/builds', user, form.type, form.body); // file parameters
  for (let i = 0; i < 2; i++) open('PUT', `/api/agent/builds/${buildId}/artifacts/out-${i}.txt`, agent, 'application/octet-stream', content); // artifacts
  open('POST', `/api/agent/builds/${buildId}/log?offset=0`, agent, 'application/octet-stream', content); // console
  await Promise.all(slow.map((u) => u.started));
  slow.forEach((u, i) => u.req.write(bodies[i]!.subarray(0, 1))); // one byte each, then nothing for now
  let answered = false;
  for (const u of slow) void u.response.then(() => (answered = true), () => {});

  const jobs = await call(m.url, 'GET', '/api/jobs', { token: user });
  t.is(jobs.status, 200, jobs.text);
  const config = await call(m.url, 'GET', '/api/agent/work-config', { token: agent });
  t.is(config.status, 200, config.text);
  t.true(Array.isArray(config.body.queues));
  const files = await call(m.url, 'GET', '/api/jobs/files/files', { token: user });
  t.deepEqual(files.body.files, [], 'no half-sent upload is visible');
  t.false(answered, 'the slow uploads were all still open while those were answered');

  slow.forEach((u, i) => u.req.end(bodies[i]!.subarray(1)));
  const answers = await Promise.all(slow.map(async (u) => (await u.response).statusCode));
  t.deepEqual(answers, [201, 201, 201, 201, 201, 201, 201, 201, 201, 200]);
  t.is((await call(m.url, 'GET', '/api/jobs/files/files', { token: user })).body.files.length, 4);
});

test('a job file over the limit it declares is refused before any byte is read', async (t) => {
  const upload = openUpload('PUT', '/api/jobs/files/files/huge.bin', user, { 'content-type': 'application/octet-stream', 'content-length': 2 * 1024 ** 3 });
  const res = await upload.response;
  t.is(res.statusCode, 413);
  t.is((await bodyOf(res)).error.code, 'payload_too_large');
  upload.req.destroy();
});

/** Sends `parts` one after another, as fast as the master takes them, until it answers; returns the bytes sent. */
async function sendUntilAnswered(upload: OpenUpload, parts: Iterable<Buffer>): Promise<number> {
  await upload.started;
  let answered = false;
  void upload.response.then(() => (answered = true), () => (answered = true));
  let sent = 0;
  for (const chunk of parts) {
    if (answered) break;
    sent += chunk.length;
    if (!upload.req.write(chunk)) await Promise.race([new Promise((r) => upload.req.once('drain', r)), upload.response.catch(() => {})]);
  }
  return sent;
}

const BOUNDARY = 'jonkkins-test-boundary';
const MB = Buffer.alloc(1000 * 1000, 'a');

test('a multipart trigger of many 1 MB fields is refused once the fields pass their limit, the rest unsent', async (t) => {
  const fields = 200;
  const head = (i: number) => Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="F${String(i).padStart(3, '0')}"\r\n\r\n`);
  const total = fields * (head(0).length + MB.length + 2) + `--${BOUNDARY}--\r\n`.length;
  // Made as they are sent: 200 MB built at once would stall this process (the master's too).
  function* parts() {
    for (let i = 0; i < fields; i++) yield* [head(i), MB, Buffer.from('\r\n')];
  }
  const upload = openUpload('POST', '/api/jobs/files/builds', user, { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': total });
  const sent = await sendUntilAnswered(upload, parts());
  const res = await upload.response;
  t.is(res.statusCode, 413);
  t.regex((await bodyOf(res)).error.message, /parameters of a trigger are at most 4194304 bytes together/);
  t.true(sent < total / 4, `the answer came after ${sent} of ${total} bytes`);
  upload.req.destroy();
});

test('a file for what is not a file parameter is refused before the file is read', async (t) => {
  const size = 200 * MB.length;
  const head = Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="P"; filename="big.bin"\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const total = head.length + size + tail.length;
  const upload = openUpload('POST', '/api/jobs/files/builds', user, { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': total });
  const sent = await sendUntilAnswered(upload, [head, ...Array.from({ length: 200 }, () => MB), tail]);
  const res = await upload.response;
  t.is(res.statusCode, 400);
  t.regex((await bodyOf(res)).error.message, /P is not a file parameter/);
  t.true(sent < total / 4, `the answer came after ${sent} of ${total} bytes`);
  upload.req.destroy();
});

test('a field longer than its limit is refused at once too, and a normal multipart trigger still works', async (t) => {
  const form = new FormData();
  form.append('P', 'x'.repeat(1024 * 1024 + 1));
  const long = await fetch(`${m.url}/api/jobs/files/builds`, { method: 'POST', headers: { authorization: `Bearer ${user}` }, body: form });
  t.is(long.status, 413);
  const ok = new FormData();
  ok.append('P', 'fine');
  t.is((await fetch(`${m.url}/api/jobs/files/builds`, { method: 'POST', headers: { authorization: `Bearer ${user}` }, body: ok })).status, 201);
});
