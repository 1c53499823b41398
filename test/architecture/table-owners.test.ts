/**
 * One writer per table: every statement that writes a table (INSERT, UPDATE, DELETE, COPY … FROM)
 * is in the table's owning module. The one exception is named: the console store appends a
 * build's console bytes and its `log_size` in one statement (its chunks' owner writes their count).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const OWNERS: Record<string, string> = {
  builds: 'master/src/builds/build-rows.ts',
  jobs: 'master/src/jobs/jobs.ts',
  agents: 'master/src/agents/agents.ts',
  users: 'master/src/users/users.ts',
  settings: 'master/src/settings/settings.ts',
  build_artifacts: 'master/src/artifacts/artifacts.ts',
  build_step_triggers: 'master/src/builds/agent-triggers.ts',
  cron_ticks: 'master/src/triggers/cron-scheduler.ts',
  views: 'master/src/views/views.ts',
  view_jobs: 'master/src/views/views.ts',
  job_files: 'master/src/jobs/job-files.ts',
  job_file_chunks: 'master/src/jobs/job-files.ts',
  sessions: 'master/src/auth/sessions.ts',
  api_tokens: 'master/src/auth/api-tokens.ts',
};
/** The console store: `UPDATE builds SET log_size = … WHERE id = …` and nothing else. */
const CONSOLE_STORE = /^master\/src\/console\/console-store\.ts$/;
const LOG_SIZE_ONLY = /^UPDATE builds SET log_size = \$\{[^}]+\} WHERE id = \$\{[^}]+\}/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every write statement's table, file and text (from the keyword to the line's end). */
function writes(): { table: string; file: string; statement: string }[] {
  const found: { table: string; file: string; statement: string }[] = [];
  for (const path of sources(join(ROOT, 'master/src'))) {
    const text = readFileSync(path, 'utf8');
    const statements = [
      ...text.matchAll(/\b(?:INSERT INTO|UPDATE|DELETE FROM)\s+([a-z_]+)\b[^\n]*/g),
      ...text.matchAll(/\bCOPY\s+([a-z_]+)\s*\([^)]*\)\s*FROM\b[^\n]*/g), // COPY … TO reads
    ];
    for (const m of statements) {
      if (m[1] === 'SET') continue; // "ON CONFLICT … DO UPDATE SET"
      found.push({ table: m[1]!, file: relative(ROOT, path), statement: m[0] });
    }
  }
  return found;
}

test('the scan finds the writes (so the check cannot pass vacuously)', (t) => {
  const all = writes();
  for (const table of ['builds', 'jobs', 'agents', 'build_artifacts']) t.true(all.some((w) => w.table === table), table);
});

test('each table is written only by its owner', (t) => {
  const stray = writes().filter((w) => {
    if (w.table === 'schema_migrations' || w.table === 'build_log_chunks' || w.table.startsWith('build_file')) return false; // migrate.ts; the console store; uploads.ts
    if (w.table === 'builds' && CONSOLE_STORE.test(w.file) && LOG_SIZE_ONLY.test(w.statement)) return false;
    return OWNERS[w.table] !== w.file;
  });
  t.deepEqual(stray, []);
});
