/**
 * List-view membership is decided in one place (shared/src/view.ts matchesView), as Jenkins'
 * ListView decides it: listed names whatever their case, includeRegex on the whole name with its
 * case. The master answers GET /api/jobs?view= with it and the UI shows that answer.
 */
import test from 'ava';
import { matchesView } from '../../shared/src/view.ts';

test('a listed job belongs whatever the case of its listed name (Jenkins\' case-insensitive jobNames)', (t) => {
  const view = { jobs: ['Deploy-Web'], includeRegex: null };
  t.true(matchesView(view, 'Deploy-Web'));
  t.true(matchesView(view, 'deploy-web'));
  t.false(matchesView(view, 'deploy-web2'));
});

test('includeRegex matches the whole name, case-sensitively (Pattern.matcher(name).matches())', (t) => {
  const view = { jobs: [], includeRegex: 'deploy-.*|api' };
  t.true(matchesView(view, 'deploy-web'));
  t.false(matchesView(view, 'Deploy-web'));
  t.true(matchesView(view, 'api'));
  t.false(matchesView(view, 'api-build'), 'the alternation is inside the anchors');
  t.false(matchesView({ jobs: [], includeRegex: null }, 'anything'));
});

test('a view object is prepared once: later jobs are matched against the same view', (t) => {
  const view = { jobs: ['a'], includeRegex: 'b+' };
  t.deepEqual(['a', 'A', 'bbb', 'B', 'c'].filter((name) => matchesView(view, name)), ['a', 'A', 'bbb']);
});
