/**
 * Applies the numbered SQL files in sql/ in order, each in one transaction, under an advisory
 * lock so that several masters can start at once. A database that has migrations this master
 * does not know was written by a newer Jonkkins: refuse to run rather than corrupt it.
 */
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql, type DatabasePool, type QuerySqlToken } from 'slonik';
import { Umzug } from 'umzug';
import { z } from 'zod';

// Row schemas are built once: zod compiles each new schema on its first parse.
const NameRow = z.object({ name: z.string() });
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url));
const MIGRATION_LOCK = 727_001;

export class NewerSchemaError extends Error {}

/** slonik has no raw SQL escape hatch; a frozen template array is what `sql.unsafe` accepts. */
const rawSql = (text: string): QuerySqlToken => sql.unsafe(Object.freeze(Object.assign([text], { raw: Object.freeze([text]) })));

/** Splits a migration file on statement-ending semicolons (no `$$` bodies in our files). */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

/** Applies pending migrations; returns the names applied now. */
export async function migrate(pool: DatabasePool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const known = (await readdir(dir)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  return pool.connect(async (conn) => {
    await conn.query(sql.unsafe`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await conn.query(sql.unsafe`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const applied = await conn.anyFirst(sql.type(NameRow)`SELECT name FROM schema_migrations ORDER BY name`);
      const unknown = applied.filter((name) => !known.includes(name));
      if (unknown.length > 0) {
        throw new NewerSchemaError(
          `The database schema is newer than this Jonkkins knows (unknown migrations: ${unknown.join(', ')}). Upgrade Jonkkins.`,
        );
      }
      const umzug = new Umzug({
        migrations: known.map((name) => ({
          name,
          up: async () => {
            const statements = splitStatements(await readFile(`${dir}/${name}`, 'utf8'));
            await conn.transaction(async (tx) => {
              for (const statement of statements) await tx.query(rawSql(statement));
              await tx.query(sql.unsafe`INSERT INTO schema_migrations (name) VALUES (${name})`);
            });
          },
        })),
        storage: { executed: async () => [...applied], logMigration: async () => {}, unlogMigration: async () => {} },
        logger: undefined,
      });
      return (await umzug.up()).map((m) => m.name);
    } finally {
      await conn.query(sql.unsafe`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}
