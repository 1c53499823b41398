/**
 * A URL, branch or refspec cannot become an option of git or ssh: the scm schema refuses what
 * starts with "-" or carries a password or whitespace, a `$PARAM` that expands to such a thing is
 * refused at checkout, and a host that is an option (`ssh://-oProxyCommand=…`) runs nothing.
 */
import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitScm } from '../../shared/src/scm.ts';
import { checkout, CheckoutError } from '../../worker/src/scm/git-checkout.ts';

test('the schema refuses option-like, credential-carrying and odd-protocol values', (t) => {
  const bad = [
    { url: '--upload-pack=touch /tmp/x' },
    { url: 'ext::sh -c touch% /tmp/x' },
    { url: 'https://user:secret@example.org/x.git' },
    { url: 'https://example.org/x.git', branches: ['--output=/tmp/x'] },
    { url: 'https://example.org/x.git', branches: ['main bad'] },
    { url: 'https://example.org/x.git', refspec: '--exec=x' },
    { url: 'https://example.org/x.git', localBranch: '-B' },
  ];
  for (const b of bad) t.false(GitScm.safeParse({ type: 'git', ...b }).success, JSON.stringify(b));
});

test('a $PARAMETER that expands to an option is refused; an ssh host that is an option runs nothing', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'jk-hostile-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const marker = join(base, 'pwned');
  let out = '';
  const run = (scm: object, env: Record<string, string> = {}) => checkout({
    scm: GitScm.parse({ type: 'git', ...scm }), credential: undefined, history: [], workspace: join(base, 'ws'), tmpDir: join(base, 'tmp'), env,
    path: process.env.PATH!, hostKeys: { verification: 'off' }, say: (s) => (out += s), output: (c) => (out += c), signal: new AbortController().signal,
  });
  const expanded = await t.throwsAsync(run({ url: 'https://example.invalid/x.git', branches: ['${B}'] }, { B: '--upload-pack=touch' }), { instanceOf: CheckoutError });
  t.regex(expanded!.message, /expands to "--upload-pack=touch", which is not a branch specifier/);
  await t.throwsAsync(run({ url: `ssh://-oProxyCommand=touch%20${marker}/repo.git` }), { instanceOf: CheckoutError });
  await t.throwsAsync(stat(marker), undefined, 'the ProxyCommand never ran');
  t.regex(out, /strange hostname|blocked/);

  // A token in an https URL's user part (allowed: it is no password) is never printed.
  out = '';
  await t.throwsAsync(run({ url: 'http://ghp_T0kenInTheUserPart@127.0.0.1:9/x.git' }), { instanceOf: CheckoutError });
  t.regex(out, /Fetching upstream changes from http:\/\/\*\*\*\*@127\.0\.0\.1:9\/x\.git/);
  t.false(out.includes('ghp_T0kenInTheUserPart'), out);
});

test('.git/config holds a URL with quotes, backslashes, ; and # exactly as given', async (t) => {
  const { configValue } = await import('../../worker/src/scm/git-checkout.ts');
  const { gitIn } = await import('../helpers/git-server.ts');
  const { writeFile } = await import('node:fs/promises');
  const base = await mkdtemp(join(tmpdir(), 'jk-cfgval-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  await gitIn(base, ['init', '-q']);
  const url = 'https://example.org/a"b\\c;d#e$f.git';
  await writeFile(join(base, '.git', 'config'), `[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = ${configValue(url)}\n`);
  t.is((await gitIn(base, ['config', 'remote.origin.url'])).replace(/\n$/, ''), url);
  t.is(configValue('https://example.org/plain.git'), 'https://example.org/plain.git');
});
