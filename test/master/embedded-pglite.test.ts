/** The PGlite fallback under concurrency: one backend, many client connections, every answer to its own asker. */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { createPool, sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../master/src/embedded/postgres.ts';

let embedded: EmbeddedPostgres;
let pool: DatabasePool;
let home: string;
test.before(async () => {
  home = mkdtempSync(join(tmpdir(), 'jk-pglite-'));
  embedded = await startEmbeddedPostgres({ home, log: pino({ level: 'silent' }), prefer: 'pglite' });
  pool = await createPool(embedded.url, { maxPoolSize: 10 });
  await pool.query(sql.unsafe`CREATE TABLE item (id int PRIMARY KEY, owner text NOT NULL)`);
});
test.after.always(async () => {
  await pool?.end();
  await embedded?.stop();
  rmSync(home, { recursive: true, force: true });
});

test('overlapping queries with different parameter counts on ten connections each get their own answer', async (t) => {
  // Each query has 1-4 parameters, some large enough to arrive in several TCP reads, and echoes
  // them: with messages of two clients interleaved on the one backend, a Bind met another's Parse
  // ("bind message supplies 4 parameters…", "unnamed prepared statement does not exist") or an answer went astray.
  const Row = z.object({ i: z.number(), tags: z.array(z.string()) });
  const tags = (i: number) => Array.from({ length: 1 + (i % 4) }, (_, k) => `tag-${i}-${k}`.padEnd(i % 3 === 0 ? 100_000 : 8, 'x'));
  const ask = (i: number) => pool.one(sql.type(Row)`SELECT ${i}::int AS i, ARRAY[${sql.join(tags(i), sql.fragment`, `)}]::text[] AS tags`);
  const answers = await Promise.allSettled(Array.from({ length: 600 }, (_, i) => ask(i)));
  const wrong = answers.flatMap((a, i) =>
    a.status === 'fulfilled' && a.value.i === i && a.value.tags.join() === tags(i).join() ? [] : [{ i, error: a.status === 'rejected' ? String(a.reason) : `answered ${a.value.i}` }],
  );
  t.deepEqual(wrong, []);
});

test('transactions on different connections do not see or end each other', async (t) => {
  const one = (n: number) =>
    pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`INSERT INTO item VALUES (${n}, ${`owner-${n}`})`);
      const mine = await tx.oneFirst(sql.type(z.object({ owner: z.string() }))`SELECT owner FROM item WHERE id = ${n}`);
      if (n % 3 === 0) throw new Error(`roll back ${n}`);
      return mine;
    });
  const results = await Promise.allSettled(Array.from({ length: 90 }, (_, n) => one(n)));
  const unexpected = results.flatMap((r, n) =>
    n % 3 === 0
      ? r.status === 'rejected' && String(r.reason).includes(`roll back ${n}`) ? [] : [{ n, r }]
      : r.status === 'fulfilled' && r.value === `owner-${n}` ? [] : [{ n, r }],
  );
  t.deepEqual(unexpected, []);
  const kept = await pool.anyFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM item ORDER BY id`);
  t.deepEqual(kept, Array.from({ length: 90 }, (_, n) => n).filter((n) => n % 3 !== 0));
});

test('a client that vanishes inside a transaction leaves neither its transaction nor a stalled backend', async (t) => {
  const quitter = new pg.Client({ connectionString: embedded.url });
  quitter.on('error', () => {}); // its connection is cut below on purpose
  await quitter.connect();
  await quitter.query('BEGIN');
  await quitter.query(`INSERT INTO item VALUES (-1, 'quitter')`);
  const waiting = pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM item WHERE id = -1`);
  (quitter as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  t.is(await waiting, 0);
  t.false(await pool.oneFirst(sql.type(z.object({ open: z.boolean() }))`SELECT now() <> statement_timestamp() AS open`));
});
