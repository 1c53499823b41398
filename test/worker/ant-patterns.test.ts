/** Ant-style patterns and the workspace walk behind archiveArtifacts (real files and links in a temp dir). */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { antMatcher, findWorkspaceFiles, splitPatterns } from '../../worker/src/ant-patterns.ts';

test('patterns: comma- or space-separated; *, ? and ** as in Ant; a trailing / means everything below; nothing else is special', (t) => {
  t.deepEqual(splitPatterns(' dist/**/*.jar,  *.log  ./docs/ , '), ['dist/**/*.jar', '*.log', 'docs/**']);
  const m = antMatcher(splitPatterns('dist/**/*.txt, *.log a?c docs/ x[1] {a} !n +(p)'));
  for (const yes of ['dist/a.txt', 'dist/x/y/z.txt', 'build.log', '.hidden.log', 'abc', 'docs/a/b', 'x[1]', '{a}', '!n', '+(p)']) t.true(m(yes), yes);
  for (const no of ['a/build.log', 'dist/a.txt.bak', 'dist.txt', 'ac', 'x1', 'a', 'n', 'p', 'docsx/a']) t.false(m(no), no);
  t.false(antMatcher([])('anything'));
});

test('the walk finds regular files, never goes through a link out of the workspace, and says what it skipped', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'jk-ant-'));
  const outside = await mkdtemp(join(tmpdir(), 'jk-ant-outside-'));
  t.teardown(() => Promise.all([rm(root, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]));
  const ws = join(root, 'ws');
  await mkdir(join(ws, 'dist/sub/.git'), { recursive: true });
  await mkdir(join(ws, 'dist/tmp'), { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await writeFile(join(ws, 'dist/a.txt'), 'a');
  await writeFile(join(ws, 'dist/sub/b.txt'), 'bb');
  await writeFile(join(ws, 'dist/sub/.git/config.txt'), 'git');
  await writeFile(join(ws, 'dist/tmp/t.txt'), 't');
  await writeFile(join(ws, 'top.txt'), 'top');
  await symlink(join(outside, 'secret.txt'), join(ws, 'dist/evil.txt'));
  await symlink('../top.txt', join(ws, 'dist/inside.txt'));
  await symlink('missing', join(ws, 'dist/dangling.txt'));
  await symlink(outside, join(ws, 'dist/outdir'));
  await symlink('sub', join(ws, 'dist/subdir-link'));
  execFileSync('mkfifo', [join(ws, 'dist/pipe.txt')]);

  const warnings: string[] = [];
  const found = await findWorkspaceFiles(ws, splitPatterns('dist/**'), splitPatterns('dist/tmp/**'), (w) => warnings.push(w));
  t.deepEqual(
    found.map((f) => [f.path, f.size]),
    [['dist/a.txt', 1], ['dist/inside.txt', 3], ['dist/sub/b.txt', 2]],
  );
  t.is(found[1]!.file, join(ws, 'top.txt'), 'a link inside the workspace is read at its target');
  t.deepEqual(warnings, [
    'skipping ‘dist/dangling.txt’: a symbolic link to nothing',
    'skipping ‘dist/evil.txt’: a symbolic link that leads out of the workspace',
    'skipping ‘dist/outdir’: a symbolic link that leads out of the workspace',
    'skipping ‘dist/pipe.txt’: not a regular file',
  ]);
  // A pattern that names a path through a linked directory finds nothing there.
  t.deepEqual(await findWorkspaceFiles(ws, ['dist/outdir/secret.txt', 'dist/subdir-link/b.txt'], [], () => {}), []);
  // The workspace itself may be reached through a link (its real path is what counts).
  await symlink(ws, join(root, 'ws-link'));
  t.deepEqual((await findWorkspaceFiles(join(root, 'ws-link'), ['*.txt'], [], () => {})).map((f) => f.path), ['top.txt']);
});

test('patterns from job documents match in linear time (RE2): *a*a*a*a*a*a*a*a*b took minutes with a backtracking regex', (t) => {
  const started = performance.now();
  t.false(antMatcher([`${'*a'.repeat(12)}b`])('a'.repeat(200)));
  t.true(antMatcher([`${'*a'.repeat(12)}`])('a'.repeat(200)));
  t.false(antMatcher([`${'**/a/'.repeat(12)}b`])(`${'a/'.repeat(100)}c`));
  t.true(performance.now() - started < 1000, `${(performance.now() - started).toFixed(0)} ms`);
});

test('** is any number of whole segments, also none, in any position', (t) => {
  const cases: [string, string[], string[]][] = [
    ['a/**', ['a', 'a/b', 'a/b/c'], ['ab', 'b/a']],
    ['**/b', ['b', 'x/b', 'x/y/b'], ['xb', 'b/x']],
    ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b'], ['a/xb', 'ab']],
    ['**/**', ['a', 'a/b'], []],
    ['*.txt', ['new\nline.txt', '.txt'], ['d/a.txt']],
  ];
  for (const [pattern, yes, no] of cases) {
    const m = antMatcher([pattern]);
    for (const path of yes) t.true(m(path), `${pattern} ~ ${path}`);
    for (const path of no) t.false(m(path), `${pattern} !~ ${path}`);
  }
});
