import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadSigningKey } from '../../master/src/auth/tokens.ts';

test('without JONKKINS_SECRET a key is generated once into JONKKINS_HOME with mode 0600 and reused', async (t) => {
  const home = join(await mkdtemp(join(tmpdir(), 'jk-key-')), 'home');
  const [a, b] = await Promise.all([loadSigningKey({ secret: undefined, home }), loadSigningKey({ secret: undefined, home })]);
  t.true(a.length >= 32);
  t.deepEqual(a, b); // two processes starting at once agree on one key
  const file = join(home, 'secret.key');
  t.is((await stat(file)).mode & 0o777, 0o600);
  t.deepEqual(await loadSigningKey({ secret: undefined, home }), a);
  t.is(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url').length, a.length);
});

test('JONKKINS_SECRET, when set, is the key and nothing is written', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'jk-key-'));
  const key = await loadSigningKey({ secret: 'x'.repeat(40), home });
  t.deepEqual(key, Buffer.from('x'.repeat(40)));
  await t.throwsAsync(stat(join(home, 'secret.key')));
});
