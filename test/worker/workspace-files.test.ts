import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, lstat, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadableStream } from 'node:stream/web';
import test from 'ava';
import { writeIntoWorkspace } from '../../worker/src/workspace-files.ts';
import { occupyThreadPool } from '../helpers/thread-pool.ts';

const body = (text: string) => new ReadableStream({ start: (c) => (c.enqueue(Buffer.from(text)), c.close()) });
const facts = (text: string) => ({ size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'jk-wsf-'));
  const workspace = join(root, 'ws');
  const outside = join(root, 'outside');
  await mkdir(workspace);
  await mkdir(outside);
  return { workspace, outside };
}

test('a file lands at its path, directories created on the way', async (t) => {
  const { workspace } = await setup();
  await writeIntoWorkspace(workspace, 'a/b/c.txt', body('hello'), facts('hello'));
  t.is(await readFile(join(workspace, 'a/b/c.txt'), 'utf8'), 'hello');
});

test('a directory that is a symlink out of the workspace is refused, nothing written outside', async (t) => {
  const { workspace, outside } = await setup();
  await symlink(outside, join(workspace, 'evil'));
  await t.throwsAsync(writeIntoWorkspace(workspace, 'evil/pwned.txt', body('x'), facts('x')), { message: /evil is a symbolic link/ });
  t.deepEqual(await readdir(outside), []);
});

test('a symlink at the final name is replaced, not written through', async (t) => {
  const { workspace, outside } = await setup();
  const target = join(outside, 'precious');
  await writeFile(target, 'keep me');
  await symlink(target, join(workspace, 'file.txt'));
  await writeIntoWorkspace(workspace, 'file.txt', body('new'), facts('new'));
  t.is(await readFile(target, 'utf8'), 'keep me');
  t.false((await lstat(join(workspace, 'file.txt'))).isSymbolicLink());
  t.is(await readFile(join(workspace, 'file.txt'), 'utf8'), 'new');
  t.is(await readlink(join(workspace, 'file.txt')).catch(() => 'not a link'), 'not a link');
});

test('damaged bytes (size or sha256) are refused and leave no file', async (t) => {
  const { workspace } = await setup();
  await t.throwsAsync(writeIntoWorkspace(workspace, 'x.bin', body('abc'), facts('abd')), { message: /arrived damaged/ });
  t.deepEqual(await readdir(workspace), []);
});

for (const bad of ['../x', '/etc/passwd', 'a/../../x', 'a//b', '']) {
  test(`the path ${JSON.stringify(bad)} is refused`, async (t) => {
    const { workspace } = await setup();
    await t.throwsAsync(writeIntoWorkspace(workspace, bad, body('x'), facts('x')), { message: /refusing the path/ });
  });
}

test('a body cut before the file was opened leaves no file, even one opened after the cut', async (t) => {
  const { workspace } = await setup();
  // The temporary file's open waits behind the busy pool and the cut comes first, as under load
  // (the master's spool once left a file so; pipeline() waits for the write stream's close, and
  // this keeps it that way).
  const busy = occupyThreadPool();
  const cut = new ReadableStream({ start: (c) => c.error(new Error('connection reset')) });
  await t.throwsAsync(writeIntoWorkspace(workspace, 'cut.bin', cut, facts('')), { message: /connection reset/ });
  await busy;
  await writeIntoWorkspace(workspace, 'after.txt', body('after'), facts('after')); // outlasts anything still pending
  t.deepEqual(await readdir(workspace), ['after.txt']);
});
