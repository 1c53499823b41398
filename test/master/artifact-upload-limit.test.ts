/**
 * An artifact upload past the size limit, sent without a length the master could refuse up front
 * (chunked), is answered 413 with what the limit is — not a reset connection — and nothing of it
 * is kept. Over real HTTP, against a master whose limit is 1000 bytes.
 */
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import test from 'ava';
import { bootstrapAdmin, call, registeredAgentToken } from '../helpers/http.ts';
import { startTestMaster } from '../helpers/test-master.ts';

/** PUTs `chunks` with chunked transfer encoding; resolves with the answer (or rejects on a reset). */
function chunkedPut(url: string, token: string, chunks: Buffer[]): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = request(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, sent }));
      res.on('error', reject);
    });
    req.on('error', reject);
    (async () => {
      for (const chunk of chunks) {
        if (req.destroyed) return;
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

test('a chunked artifact upload over the limit gets 413 with the limit named, and leaves nothing', async (t) => {
  const m = await startTestMaster({ maxArtifactBytes: 1000 });
  t.teardown(() => m.close());
  const admin = await bootstrapAdmin(m.url);
  const agent = await registeredAgentToken(m.url, admin, { name: 'a1', executors: 1 });
  t.is((await call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: 'j', steps: [] } })).status, 201);
  const id = (await call(m.url, 'POST', '/api/jobs/j/builds', { token: admin, json: {} })).body.queueId as number;
  t.is((await call(m.url, 'POST', `/api/agent/builds/${id}/start`, { token: agent, json: { executor: 0 } })).status, 200);

  const url = `${m.url}/api/agent/builds/${id}/artifacts/dist/big.bin`;
  const answer = await chunkedPut(url, agent, Array.from({ length: 320 }, () => Buffer.alloc(64 * 1024, 1)) /* 20 MiB: far more than the socket buffers hold */);
  t.is(answer.status, 413);
  t.like(JSON.parse(answer.body), { error: { code: 'payload_too_large', message: 'Artifacts are limited to 1000 bytes per file' } });
  t.deepEqual((await call(m.url, 'GET', '/api/jobs/j/builds/1/artifacts', { token: admin })).body, { artifacts: [] });
  t.deepEqual(await readdir(`${m.artifactsDir}/.incoming`), []);
  // One that fits still goes in.
  const fits = await chunkedPut(`${m.url}/api/agent/builds/${id}/artifacts/dist/fits.bin`, agent, [Buffer.alloc(600, 2), Buffer.alloc(400, 3)]);
  t.is(fits.status, 201, fits.body);
});
