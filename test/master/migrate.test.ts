import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { MIGRATIONS_DIR, migrate, NewerSchemaError, splitStatements } from '../../master/src/db/migrate.ts';
import { createTestDatabase } from '../helpers/test-master.ts';

const SHIPPED = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();

test('three masters migrating at once apply each migration exactly once', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const results = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
  const all = results.flat().sort();
  t.true(SHIPPED.length >= 3 && SHIPPED[0] === '0001_identity.sql');
  t.deepEqual(all, SHIPPED);
  t.deepEqual(await migrate(db.pool), []);
  const names = await db.pool.anyFirst(sql.type(z.object({ name: z.string() }))`SELECT name FROM schema_migrations`);
  t.deepEqual([...names].sort(), SHIPPED);
});

test('after every migration no two indexes of a table are the same (each costs every write)', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await migrate(db.pool);
  const indexes = await db.pool.any(sql.type(z.object({ name: z.string(), definition: z.string() }))`
    SELECT indexname AS name, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') AS definition FROM pg_indexes WHERE schemaname = 'public'`);
  t.true(indexes.length > 5);
  const byDefinition = Map.groupBy(indexes, (i) => i.definition);
  t.deepEqual([...byDefinition.values()].filter((same) => same.length > 1).map((same) => same.map((i) => i.name)), []);
});

test('a master refuses a database migrated by a newer Jonkkins', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const newer = await mkdtemp(join(tmpdir(), 'jk-sql-'));
  await cp(MIGRATIONS_DIR, newer, { recursive: true });
  await writeFile(join(newer, '9999_future.sql'), 'CREATE TABLE future_things (id int);\n');
  t.deepEqual(await migrate(db.pool, newer), [...SHIPPED, '9999_future.sql']);
  const err = await t.throwsAsync(migrate(db.pool), { instanceOf: NewerSchemaError });
  t.regex(err!.message, /newer than this Jonkkins knows.*9999_future\.sql/);
});

test('a failing migration leaves nothing half-applied', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const dir = await mkdtemp(join(tmpdir(), 'jk-sql-'));
  await writeFile(join(dir, '0001_ok.sql'), 'CREATE TABLE a (id int);\n');
  await writeFile(join(dir, '0002_broken.sql'), 'CREATE TABLE b (id int);\nTHIS IS NOT SQL;\n');
  await t.throwsAsync(migrate(db.pool, dir));
  const tables = await db.pool.anyFirst(sql.type(z.object({ t: z.string() }))`
    SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
  t.deepEqual([...tables], ['a', 'schema_migrations']);
});

test('statements are split on line-ending semicolons and comment lines dropped', (t) => {
  t.deepEqual(splitStatements('-- header\nCREATE TABLE x (a text DEFAULT \';\');\n\n-- note\nCREATE INDEX i ON x (a);\n'), [
    "CREATE TABLE x (a text DEFAULT ';')",
    'CREATE INDEX i ON x (a)',
  ]);
});
