/** A change set in Jenkins' REST shape (GitChangeSetList), as the git plugin's api/json has it. */
import test from 'ava';
import { jenkinsChangeSet } from '../../master/src/scm/jenkins-change-set.ts';

test('GitChangeSetList with GitChangeSet items: msg is the first line, comment the whole message, date in git form; no checkout → EmptyChangeLogSet', (t) => {
  const sha = 'a'.repeat(40);
  const set = jenkinsChangeSet('http://ci.example/', {
    kind: 'git',
    more: 0,
    items: [{ commitId: sha, authorName: 'Grace Hopper', authorEmail: 'grace@example.org', timestamp: Date.UTC(2026, 11, 2, 1, 15, 16), message: 'Fix it\n\nBecause.', paths: [{ editType: 'edit', file: 'a.txt' }, { editType: 'add', file: 'b/c.txt' }], morePaths: 0 }],
  });
  t.deepEqual(set, {
    _class: 'hudson.plugins.git.GitChangeSetList',
    kind: 'git',
    items: [{
      _class: 'hudson.plugins.git.GitChangeSet',
      affectedPaths: ['a.txt', 'b/c.txt'],
      commitId: sha,
      timestamp: Date.UTC(2026, 11, 2, 1, 15, 16),
      author: { absoluteUrl: 'http://ci.example/user/Grace%20Hopper', fullName: 'Grace Hopper' },
      authorEmail: 'grace@example.org',
      comment: 'Fix it\n\nBecause.\n',
      date: '2026-12-02 01:15:16 +0000',
      id: sha,
      msg: 'Fix it',
      paths: [{ editType: 'edit', file: 'a.txt' }, { editType: 'add', file: 'b/c.txt' }],
    }],
  });
  t.deepEqual(jenkinsChangeSet('http://ci.example/', null), { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null });
});
