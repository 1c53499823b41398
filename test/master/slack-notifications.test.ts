/**
 * Slack Notifications: a local receiver speaking Slack's Web API and webhook formats gets exactly
 * the messages the publisher's checkboxes ask for (the slack plugin's rules), an end replying in its
 * start's thread with a bot token; a 429 is retried after its Retry-After; a refused message is
 * told in the console and leaves the build's result alone.
 */
import test from 'ava';
import { until } from '../helpers/processes.ts';
import { startNotifyRig } from '../helpers/notify-rig.ts';
import { CHANNEL_ID, startSlackReceiver } from '../helpers/slack-receiver.ts';
import { call } from '../helpers/http.ts';

const TOKEN = 'xoxb-1111-2222-jonkkins';
const CHECKBOXES = { type: 'slackNotifier', notifyStart: true, notifyFailure: true, notifyRepeatedFailure: true, notifyBackToNormal: true, notifySuccess: false, commitInfo: 'authorsAndTitles' };
const CHANGES = [
  { authorName: 'Bob', authorEmail: 'bob@example.com', message: 'Second', paths: ['b.c'] },
  { authorName: 'Ada <Lovelace>', authorEmail: 'ada@example.com', message: 'Fix & break\n\nThe body is not listed', paths: ['a.c', 'b.c'] },
];

test('bot token: SUCCESS → FAILURE → FAILURE → SUCCESS posts start, failure, repeated failure and back to normal, each end in its start\'s thread; a 429 waits its Retry-After', async (t) => {
  t.timeout(60_000);
  const slack = await startSlackReceiver({ token: TOKEN });
  t.teardown(() => slack.close());
  const rig = await startNotifyRig(t);
  await rig.credential({ id: 'slack-bot', kind: 'secretText', secret: TOKEN, description: 'Slack bot' });
  await rig.settings({ slack: { auth: 'botToken', credentialId: 'slack-bot', defaultChannel: '#ci', baseUrl: `${slack.url}/api/` } });
  await rig.job('app', [CHECKBOXES]);

  const expected: string[] = [];
  const results = ['SUCCESS', 'FAILURE', 'FAILURE', 'SUCCESS'];
  const words = [null, 'Failure', 'Still Failing', 'Back to normal'];
  let throttledAt = 0;
  for (const [i, result] of results.entries()) {
    if (i === 1) slack.throttleNext(1, 1); // build #2's start message meets a 429 with Retry-After: 1
    const { number } = await rig.run('app', result, i === 1 ? CHANGES : []);
    t.is(number, i + 1);
    expected.push(`start #${number}`);
    if (words[i]) expected.push(`${words[i]} #${number}`);
    await until(`${expected.length} Slack messages`, () => slack.taken.length === expected.length, 15_000, 20);
    if (i === 1) throttledAt = slack.all.find((p) => p.answered === 429)!.at;
  }
  // Nothing more arrives (build #1's SUCCESS was not asked for): every build's outbox rows are done.
  await rig.outboxSettled();
  t.is(slack.taken.length, expected.length);

  const describe = (text: string) => {
    const n = /- #(\d+) /.exec(text)?.[1];
    if (/ Started by user admin /.test(text)) return `start #${n}`;
    return `${/ (Failure|Still Failing|Back to normal|Success) after /.exec(text)?.[1]} #${n}`;
  };
  t.deepEqual(slack.taken.map((p) => describe(p.body.text!)), expected);
  for (const post of slack.taken) {
    t.is(post.auth, `Bearer ${TOKEN}`);
    t.regex(post.contentType!, /^application\/json/);
    t.regex(post.body.text!, /\(<http:\/\/jonkkins\.test\/job\/app\/\d+\/\|Open>\)/);
    t.is(post.body.blocks?.[0]?.type, 'section');
    t.is(post.body.blocks?.[0]?.text?.text, post.body.text!.split('\n')[0]);
  }
  // Starts go to the configured channel; each end replies in its start's thread (the ts Slack answered).
  const starts = slack.taken.filter((p) => p.body.text!.includes('Started by'));
  for (const [i, post] of starts.entries()) {
    t.is(post.body.channel, '#ci');
    t.is(post.body.thread_ts, undefined);
    const end = slack.taken.find((p) => !p.body.text!.includes('Started by') && p.body.text!.includes(`- #${i + 1} `));
    if (!end) continue;
    t.is(end.body.channel, CHANNEL_ID);
    t.is(end.body.thread_ts, `1767225600.${String(slack.taken.indexOf(post) + 1).padStart(6, '0')}`);
  }
  // Build #2's end lists its commits, oldest first, escaped; the others say there were none.
  const failure = slack.taken.find((p) => p.body.text!.includes('- #2 Failure'))!;
  t.true(failure.body.text!.endsWith('\nChanges:\n- Fix &amp; break [Ada &lt;Lovelace&gt;]\n- Second [Bob]'), failure.body.text);
  t.true(slack.taken.find((p) => p.body.text!.includes('- #3 Still Failing'))!.body.text!.endsWith('\nNo Changes.'));
  const retried = slack.taken.find((p) => p.body.text!.includes('- #2 Started'))!;
  t.true(retried.at - throttledAt >= 1000, `the retry came ${retried.at - throttledAt} ms after the 429 (Retry-After: 1)`);
  t.is(slack.all.filter((p) => p.body.text?.includes('- #2 Started')).length, 2, 'one 429, one post taken');
});

test('webhook: one failure, the custom message escaped (&, <, >) and the commit list; nothing for a success', async (t) => {
  t.timeout(60_000);
  const slack = await startSlackReceiver({ token: TOKEN, webhookPath: '/services/T1/B2/secret' });
  t.teardown(() => slack.close());
  const rig = await startNotifyRig(t);
  await rig.credential({ id: 'slack-hook', kind: 'secretText', secret: `${slack.url}/services/T1/B2/secret` });
  await rig.settings({ slack: { auth: 'webhook', credentialId: 'slack-hook' } });
  await rig.job('hooked', [{ type: 'slackNotifier', notifyFailure: true, includeCustomMessage: true, customMessage: 'Ping <!channel> & <b>ops</b>', commitInfo: 'authorsAndTitles' }]);
  await rig.run('hooked', 'SUCCESS');
  await rig.run('hooked', 'FAILURE');
  await until('the webhook post', () => slack.taken.length === 1, 15_000, 20);
  const post = slack.taken[0]!;
  t.is(post.kind, 'webhook');
  t.is(post.auth, undefined);
  t.regex(post.body.text!, /^hooked - #2 Failure after [\d.]+ sec \(<http:\/\/jonkkins\.test\/job\/hooked\/2\/\|Open>\)\n/);
  t.true(post.body.text!.includes('\nPing &lt;!channel&gt; &amp; &lt;b&gt;ops&lt;/b&gt;\n'), post.body.text);
  t.true(post.body.text!.endsWith('\nNo Changes.'), post.body.text);
  t.is(post.body.channel, undefined);
});

test('messages Slack refuses are told in the build\'s console — a start refused while the build runs once it finished; the build keeps its result', async (t) => {
  t.timeout(60_000);
  const slack = await startSlackReceiver({ token: TOKEN });
  t.teardown(() => slack.close());
  const rig = await startNotifyRig(t);
  await rig.credential({ id: 'slack-bot', kind: 'secretText', secret: TOKEN });
  await rig.settings({ slack: { auth: 'botToken', credentialId: 'slack-bot', defaultChannel: '#gone', baseUrl: `${slack.url}/api/` } });
  await rig.job('refused', [{ type: 'slackNotifier', notifyStart: true, notifySuccess: true }]);
  slack.refuseWith('channel_not_found');
  const { body } = await call(rig.m.url, 'POST', '/api/jobs/refused/builds', { token: rig.admin, json: {} });
  const spec = await rig.agent.startBuild(body.queueId, 0);
  await until('the start message to be refused', () => slack.all.length === 1, 15_000, 20);
  // The build still runs: its console is the agent's (the note waits), and the agent's bytes land where it counts.
  await rig.agent.sendLog(body.queueId, spec.logOffset, [Buffer.from('step output\n')]);
  await rig.agent.finishBuild(body.queueId, { result: 'SUCCESS', logSize: spec.logOffset + 12 });
  const both = (text: string) => text.includes('failed (started)') && text.includes('failed (finished)');
  await until('both failures in the console', async () => both(await rig.consoleOf('refused', 1)), 15_000, 20);
  const text = await rig.consoleOf('refused', 1);
  t.true(text.startsWith('Started by user admin\nstep output\nFinished: SUCCESS\n'), text);
  t.deepEqual(text.split('Finished: SUCCESS\n')[1]!.split('\n').filter(Boolean).sort(), [
    'Slack notification failed (finished): chat.postMessage: channel_not_found',
    'Slack notification failed (started): chat.postMessage: channel_not_found',
  ]);
  t.is((await call(rig.m.url, 'GET', '/api/jobs/refused/builds/1', { token: rig.admin })).body.result, 'SUCCESS');
  t.is(slack.all.length, 2, 'channel_not_found is not retried');
  await rig.outboxSettled();
});
