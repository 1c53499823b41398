/**
 * A query's row schema is a module constant, never built in the call: zod compiles each new object
 * schema on its first parse, so a schema made per call is compiled again on every build's path
 * (it cost the master ~2 % of its CPU per build in the benchmark).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** `sql.type(z.object(…))` and friends: a schema expression inside the query call. */
const INLINE = /sql\.type\(\s*z\.(object|strictObject|looseObject)\(/g;

test('no query builds its row schema per call', (t) => {
  const files = sources(join(ROOT, 'master/src'));
  t.true(files.length > 50, 'the scan sees the master sources');
  const found = files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(INLINE)].map((m) => `${relative(ROOT, file)}:${text.slice(0, m.index).split('\n').length}`);
  });
  t.deepEqual(found, []);
});

test('the check finds an inline schema (so it cannot pass vacuously)', (t) => {
  t.regex('await pool.one(sql.type(z.object({ id: z.number() }))`SELECT 1 AS id`)', INLINE);
});
