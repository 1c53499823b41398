/** Which repository a URL names, which refs a branch specifier names, and the bounded JSONPath subset. */
import test from 'ava';
import { evaluateJsonPath, jsonPathText } from '../../master/src/webhooks/json-path.ts';
import { specMatchesRef } from '../../master/src/scm/branch-spec.ts';
import { repositoryKey, sameRepository } from '../../master/src/scm/repo-url.ts';
import { forgeState, repositoryPath } from '../../master/src/forges/forge-status-api.ts';

test('one repository however its URL is spelled: scheme, user, trailing / and .git ignored', (t) => {
  const forms = ['https://github.com/o/r.git', 'https://github.com/o/r', 'http://GitHub.com/o/r/', 'ssh://git@github.com/o/r.git', 'ssh://git@github.com:22/o/r', 'git@github.com:o/r.git', 'git://github.com/o/r.git/', 'https://user@github.com/o/r.git'];
  for (const f of forms) t.is(repositoryKey(f), 'github.com/o/r', f);
  t.false(sameRepository('https://github.com/o/r', 'https://github.com/o/r2'));
  t.false(sameRepository('https://github.com/o/r', 'https://gitlab.com/o/r'));
  t.true(sameRepository('file:///srv/git/a.git', '/srv/git/a'));
});

test('branch specifiers as the git plugin reads them', (t) => {
  const yes: [string, string][] = [['main', 'refs/heads/main'], ['*/main', 'refs/heads/main'], ['origin/main', 'refs/heads/main'], ['refs/heads/main', 'refs/heads/main'], ['release-*', 'refs/heads/release-1'], ['**', 'refs/heads/a/b'], ['refs/tags/v*', 'refs/tags/v1.2'], ['*/feature/**', 'refs/heads/feature/x/y']];
  const no: [string, string][] = [['main', 'refs/heads/mainline'], ['*/main', 'refs/tags/main'], ['release-*', 'refs/heads/release/1'], ['refs/tags/v*', 'refs/heads/v1'], ['0123abcd', 'refs/heads/0123abcd'], ['upstream/main', 'refs/heads/main']];
  for (const [spec, ref] of yes) t.true(specMatchesRef(spec, ref), `${spec} ~ ${ref}`);
  for (const [spec, ref] of no) t.false(specMatchesRef(spec, ref), `${spec} !~ ${ref}`);
});

test('JSONPath: the supported steps, the plugin\'s texts, and refusals of what is not bounded', (t) => {
  const doc = { a: { 'b c': [1, { d: 'x' }] }, list: [{ id: 1 }, { id: 2 }], s: 'text', n: null };
  t.deepEqual(evaluateJsonPath("$.a['b c'][1].d", doc), ['x']);
  t.deepEqual(evaluateJsonPath('$.list[*].id', doc), [1, 2]);
  t.deepEqual(evaluateJsonPath('$.list[-1]', doc), [{ id: 2 }]);
  t.is(jsonPathText('$.s', doc), 'text');
  t.is(jsonPathText('$.list[0]', doc), '{"id":1}');
  t.is(jsonPathText('$.list[*].id', doc), '[1,2]');
  t.is(jsonPathText('$.missing.deeper', doc), null);
  t.is(jsonPathText('$.n', doc), null);
  t.is(jsonPathText('$.s.length', doc), null, 'no properties of strings');
  t.throws(() => evaluateJsonPath('$..id', doc), { message: /recursive descent/ });
  t.throws(() => evaluateJsonPath('$.list[?(@.id > 1)]', doc), { message: /unsupported JSONPath/ });
  t.throws(() => evaluateJsonPath(`$${'.a'.repeat(40)}`, doc), { message: /at most 32 steps/ });
  const wide = { x: Array.from({ length: 400 }, () => Array.from({ length: 400 }, () => 1)) };
  t.throws(() => evaluateJsonPath('$.x[*][*]', wide), { message: /visits more than/ });
});

test('forge status names and repository paths', (t) => {
  t.deepEqual(repositoryPath('git@gitlab.example.com:group/sub/project.git'), { host: 'gitlab.example.com', path: 'group/sub/project' });
  t.deepEqual(repositoryPath('https://github.com/o/r.git/'), { host: 'github.com', path: 'o/r' });
  t.deepEqual(['pending', 'SUCCESS', 'UNSTABLE', 'FAILURE', 'ABORTED'].map((e) => forgeState('github', e as never)), ['pending', 'success', 'failure', 'failure', 'error']);
  t.deepEqual(['pending', 'SUCCESS', 'FAILURE', 'ABORTED'].map((e) => forgeState('gitlab', e as never)), ['pending', 'success', 'failed', 'canceled']);
});
