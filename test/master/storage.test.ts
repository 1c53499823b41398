import test from 'ava';
import { sql } from 'slonik';
import { z } from 'zod';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
test.before(async () => {
  m = await startTestMaster();
});
test.after.always(() => m?.close());

test('the database holds no plain password or agent secret, only argon2id hashes', async (t) => {
  const admin = await bootstrapAdmin(m.url);
  const password = 'a-very-distinctive-password';
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'pat', password } });
  const { body: agent } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name: 'secretive', executors: 1 } });
  const { body: regenerated } = await call(m.url, 'POST', '/api/agents/secretive/secret', { token: admin });

  // Every row of every table, as text: none may contain a plain secret.
  const tables = await m.pool.anyFirst(sql.type(z.object({ t: z.string() }))`
    SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'`);
  let dump = '';
  for (const table of tables) {
    const rows = await m.pool.any(sql.unsafe`SELECT to_jsonb(x)::text AS row FROM ${sql.identifier([table])} x`);
    dump += rows.map((r) => String((r as { row: string }).row)).join('\n');
  }
  for (const secret of [password, agent.secret, regenerated.secret, 'correct horse battery']) {
    t.false(dump.includes(secret), 'a plain secret is stored');
  }
  const hashes = await m.pool.anyFirst(sql.type(z.object({ h: z.string() }))`
    SELECT password_hash AS h FROM users UNION ALL SELECT secret_hash FROM agents`);
  t.is(hashes.length, 3);
  for (const h of hashes) t.regex(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});
