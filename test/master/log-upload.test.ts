/**
 * Console uploads as the agent sends them (MasterClient: parts over node:http) and as the master
 * stores them (COPY FROM STDIN of the request's own chunks, rows of at most ROW_BYTES; INSERTs
 * where COPY is not available): byte-exact, resends not doubled, gaps refused, size limited.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { LOG_BATCH_BYTES } from '../../shared/src/agent-protocol.ts';
import { RawPool } from '../../master/src/db/raw-pool.ts';
import { appendChunks, ROW_BYTES } from '../../master/src/console/console-store.ts';
import { parseBinaryCopy } from '../../master/src/console/console-reader.ts';
import { createLogger } from '../../master/src/log.ts';
import { MasterError, type MasterClient } from '../../worker/src/master-client.ts';
import { consoleAgent, runningBuild as startBuild } from '../helpers/console-builds.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let agent: MasterClient;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  agent = await consoleAgent(m, admin, 'up');
});
test.after.always(() => m?.close());
const runningBuild = (name: string, executor: number) => startBuild(m, admin, agent, name, executor);

async function storedLog(name: string, start: number): Promise<Buffer> {
  const res = await fetch(`${m.url}/api/jobs/${name}/builds/1/log?start=${start}`, { headers: { authorization: `Bearer ${admin}` } });
  return Buffer.from(await res.arrayBuffer());
}

const rowsOf = (buildId: number) =>
  m.pool.one(sql.type(z.object({ rows: z.number(), largest: z.number() }))`
    SELECT count(*)::int AS rows, max(length(data))::int AS largest FROM build_log_chunks WHERE build_id = ${buildId}`);

test('a 2.5 MiB upload in many parts is stored byte for byte in rows of at most 1 MiB; a resend that overlaps adds only its new bytes', async (t) => {
  const { id, offset } = await runningBuild('big', 0);
  const bytes = randomBytes(2.5 * 1024 * 1024); // binary: every byte value, invalid UTF-8
  const parts = Array.from({ length: 40 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
  t.like(await agent.sendLog(id, offset, parts), { logSize: offset + bytes.length, abort: false });

  const more = randomBytes(512 * 1024);
  const resend = Buffer.concat([bytes.subarray(1024 * 1024), more]); // starts 1 MiB in: 1.5 MiB known, 0.5 MiB new
  t.is((await agent.sendLog(id, offset + 1024 * 1024, [resend])).logSize, offset + bytes.length + more.length);
  t.true((await storedLog('big', offset)).equals(Buffer.concat([bytes, more])));

  const rows = await rowsOf(id);
  t.true(rows.largest <= ROW_BYTES, `largest row ${rows.largest}`);
  t.true(rows.rows >= 4, `${rows.rows} rows`);
});

test('console uploads are compressed with lz4 where PostgreSQL has it (else pglz), and read back byte for byte', async (t) => {
  const { id, offset } = await runningBuild('compressible', 2);
  const text = Buffer.from('+ make -j2 all\ncompiling src/module.c\n'.repeat(60_000)); // ~2.3 MiB of console-like lines
  t.is((await agent.sendLog(id, offset, [text])).logSize, offset + text.length);
  t.true((await storedLog('compressible', offset)).equals(text));
  const hasLz4 = await m.pool.oneFirst(sql.type(z.object({ lz4: z.boolean() }))`
    SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`);
  const methods = await m.pool.anyFirst(sql.type(z.object({ method: z.string().nullable() }))`
    SELECT DISTINCT pg_column_compression(data) AS method FROM build_log_chunks WHERE build_id = ${id} AND length(data) > 100000`);
  t.deepEqual(methods, [hasLz4 ? 'lz4' : 'pglz']);
});

test('the console reader parses PostgreSQL\'s binary COPY: int8, bytea with every byte value, NULLs, and no rows', async (t) => {
  const raw = new RawPool(m.databaseUrl, { copy: true, log: createLogger('silent') });
  t.teardown(() => raw.end());
  const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const rows = parseBinaryCopy(Buffer.concat(await raw.copyOut(`
    COPY (SELECT * FROM (VALUES (5::int8, decode('${every.toString('hex')}', 'hex')), (9007199254740991::int8, NULL::bytea)) v) TO STDOUT (FORMAT binary)`)));
  t.is(rows.length, 2);
  t.is(Number(rows[0]![0]!.readBigInt64BE(0)), 5);
  t.true(rows[0]![1]!.equals(every));
  t.is(Number(rows[1]![0]!.readBigInt64BE(0)), Number.MAX_SAFE_INTEGER);
  t.is(rows[1]![1], null);
  t.deepEqual(parseBinaryCopy(Buffer.concat(await raw.copyOut('COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT binary)'))), []);
  t.throws(() => parseBinaryCopy(Buffer.from('not a copy stream at all')), { message: /not a binary COPY/ });
});

test('an upload past the end is a gap (409 with the size); one over 4 × LOG_BATCH_BYTES is refused with 413; nothing is stored', async (t) => {
  const { id, offset } = await runningBuild('gaps', 1);
  const gap = await agent.sendLog(id, offset + 10, [Buffer.from('later')]).catch((e: unknown) => e);
  t.true(gap instanceof MasterError && gap.status === 409);
  t.like((gap as MasterError).body, { logSize: offset });
  const huge = await agent.sendLog(id, offset, [Buffer.alloc(4 * LOG_BATCH_BYTES + 1, 'x')]).catch((e: unknown) => e);
  t.true(huge instanceof MasterError && huge.status === 413, String(huge));
  t.is((await agent.ping(id)).logSize, offset);
});

test('without COPY (the PGlite fallback) the same chunks become INSERTed rows: same bytes, same row sizes, resends skipped', async (t) => {
  const { id, offset } = await runningBuild('inserts', 2);
  const raw = new RawPool(m.databaseUrl, { copy: false, log: createLogger('silent') });
  t.teardown(() => raw.end());
  const bytes = randomBytes(ROW_BYTES + 300_000);
  // One chunk larger than a row (cut without copying), then small ones.
  const chunks = [bytes.subarray(0, ROW_BYTES + 100_000), bytes.subarray(ROW_BYTES + 100_000, ROW_BYTES + 200_000), bytes.subarray(ROW_BYTES + 200_000)];
  const first = await raw.transaction((c) => appendChunks(c, id, offset, offset, chunks, raw.copy));
  t.deepEqual(first, { ok: true, size: offset + bytes.length });
  const again = await raw.transaction((c) => appendChunks(c, id, offset + bytes.length, offset + 5, [bytes.subarray(5)], raw.copy));
  t.deepEqual(again, { ok: true, size: offset + bytes.length }, 'all known: nothing stored');
  const gap = await raw.transaction((c) => appendChunks(c, id, offset + bytes.length, offset + bytes.length + 1, [Buffer.from('x')], raw.copy));
  t.deepEqual(gap, { ok: false, size: offset + bytes.length });
  await m.pool.query(sql.unsafe`UPDATE builds SET log_size = ${offset + bytes.length} WHERE id = ${id}`); // the caller's part
  t.true((await storedLog('inserts', offset)).equals(bytes));
  const rows = await rowsOf(id);
  t.is(rows.largest, ROW_BYTES);
});
