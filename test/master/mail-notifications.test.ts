/**
 * E-mail Notification: a real SMTP server on loopback (STARTTLS with a self-signed certificate,
 * AUTH after TLS only) receives exactly the mails hudson.tasks.MailSender's rules ask for; a mail
 * the server refuses is told in the console and leaves the build's result alone.
 */
import test from 'ava';
import { call } from '../helpers/http.ts';
import { startNotifyRig, type NotifyRig } from '../helpers/notify-rig.ts';
import { until } from '../helpers/processes.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.ts';

const LOGIN = { user: 'ci-mailer', password: 'smtp s3cret' };

async function mailRig(t: Parameters<typeof startNotifyRig>[0], password = LOGIN.password): Promise<{ rig: NotifyRig; smtp: SmtpReceiver }> {
  const smtp = await startSmtpReceiver(LOGIN);
  t.teardown(() => smtp.close());
  const rig = await startNotifyRig(t);
  await rig.credential({ id: 'smtp-login', kind: 'usernamePassword', username: LOGIN.user, password });
  await rig.settings({ mail: { host: '127.0.0.1', port: smtp.port, security: 'starttls', credentialId: 'smtp-login', from: 'jonkkins@example.com', trustedCertificates: smtp.certificate } });
  return { rig, smtp };
}

test('MailSender rules over SUCCESS, UNSTABLE, UNSTABLE, FAILURE, ABORTED, SUCCESS, SUCCESS: became unstable, failed, back to normal — over STARTTLS with AUTH', async (t) => {
  t.timeout(60_000);
  const { rig, smtp } = await mailRig(t);
  await rig.job('mailed', [{ type: 'mailer', recipients: 'team@example.com, lead@example.com', notifyEveryUnstableBuild: false, sendToIndividuals: true }]);
  const expected: string[] = [];
  const steps: [string, string | null][] = [
    ['SUCCESS', null],
    ['UNSTABLE', 'Jonkkins build became unstable: mailed #2'],
    ['UNSTABLE', null], // only the first unstable build (notifyEveryUnstableBuild false)
    ['FAILURE', 'Build failed in Jonkkins: mailed #4'],
    ['ABORTED', null],
    ['SUCCESS', 'Jonkkins build is back to normal : mailed #6'], // the ABORTED build is looked past
    ['SUCCESS', null],
  ];
  // Build #4's changes, newest first (as the agent reports them): two authors (one twice) and one whose address is no address.
  const changes = [
    { authorName: 'Ada', authorEmail: 'ada@example.com', message: 'Break it', paths: ['a.c'] },
    { authorName: 'Bob', authorEmail: 'bob@example.com', message: 'Fix it\n\nbody', paths: ['b.c', 'c.c'] },
    { authorName: 'Ada', authorEmail: 'ada@example.com', message: 'Again', paths: ['a.c'] },
    { authorName: 'Root', authorEmail: 'root', message: 'Local', paths: ['d.c'] },
  ];
  for (const [i, [result, subject]] of steps.entries()) {
    await rig.run('mailed', result, i === 3 ? changes : [], i === 3 ? Array.from({ length: 300 }, (_, n) => `line ${n + 1}\n`).join('') : '');
    if (subject) expected.push(subject);
    await until(`${expected.length} mails`, () => smtp.mails.length === expected.length, 20_000, 20);
  }
  await rig.outboxSettled();
  t.deepEqual(smtp.mails.map((m) => m.subject), expected);
  for (const mail of smtp.mails) {
    // Culprits: #4's authors, and #6's, whose builds before (#5 ABORTED, #4 FAILURE…) were worse than SUCCESS.
    const individuals = /#[46]$/.test(mail.subject) ? ['ada@example.com', 'bob@example.com'] : [];
    t.deepEqual(mail.to.sort(), [...individuals, 'lead@example.com', 'team@example.com'].sort(), mail.subject);
    t.is(mail.from, 'jonkkins@example.com');
    t.is(mail.user, LOGIN.user);
    t.true(mail.secure, 'STARTTLS before the mail');
    t.regex(mail.raw, /See <http:\/\/jonkkins\.test\/job\/mailed\/\d+\/>/);
  }
  t.regex(smtp.mails[1]!.raw, /Changes:\r?\n\r?\n\[Root\] Local\r?\n/);
  // The failure mail ends with the console's last 250 lines, as MailSender's does.
  t.regex(smtp.mails[1]!.raw, /\r\n------------------------------------------\r\n\[\.\.\.truncated 1 KB\.\.\.\]\r\nline 52\r\n/);
  t.regex(smtp.mails[1]!.raw, /\r\nline 300\r\nFinished: FAILURE\r\n/);
  t.false(smtp.mails[0]!.raw.includes('-----------'), 'an unstable mail has no console');
  t.regex(smtp.mails[1]!.raw, /\[Bob\] Fix it\r?\n\r?\n  b\.c\r?\n  c\.c\r?\n/);
});

test('every unstable build mails when notifyEveryUnstableBuild is on: unstable, still unstable, back to stable', async (t) => {
  t.timeout(60_000);
  const { rig, smtp } = await mailRig(t);
  await rig.job('wobbly', [{ type: 'mailer', recipients: 'team@example.com', notifyEveryUnstableBuild: true }]);
  for (const result of ['UNSTABLE', 'UNSTABLE', 'SUCCESS']) await rig.run('wobbly', result);
  await until('3 mails', () => smtp.mails.length === 3, 20_000, 20);
  await rig.outboxSettled();
  // Mails of different builds may go out in any order (sent side by side).
  t.deepEqual(smtp.mails.map((m) => m.subject).sort(), ['Jonkkins build is back to stable : wobbly #3', 'Jonkkins build is still unstable: wobbly #2', 'Jonkkins build is unstable: wobbly #1']);
});

test('a refused login is told in the console once (a 535 is not retried); the build keeps its result', async (t) => {
  t.timeout(60_000);
  const { rig, smtp } = await mailRig(t, 'wrong password');
  await rig.job('refused-mail', [{ type: 'mailer', recipients: 'team@example.com' }]);
  const { number } = await rig.run('refused-mail', 'FAILURE');
  await until('the failure in the console', async () => (await rig.consoleOf('refused-mail', number)).includes('E-mail notification failed'), 20_000, 20);
  t.regex(await rig.consoleOf('refused-mail', number), /Finished: FAILURE\nE-mail notification failed: SMTP: Invalid login: 535[^\n]*\n$/);
  t.is((await call(rig.m.url, 'GET', `/api/jobs/refused-mail/builds/${number}`, { token: rig.admin })).body.result, 'FAILURE');
  t.is(smtp.mails.length, 0);
});

test('SMTPS (TLS from the first byte) with the server\'s certificate trusted; an untrusted certificate is refused', async (t) => {
  t.timeout(60_000);
  const smtp = await startSmtpReceiver(LOGIN, { tls: true });
  t.teardown(() => smtp.close());
  const rig = await startNotifyRig(t);
  await rig.credential({ id: 'smtp-login', kind: 'usernamePassword', username: LOGIN.user, password: LOGIN.password });
  const mail = { host: '127.0.0.1', port: smtp.port, security: 'tls', credentialId: 'smtp-login', from: 'jonkkins@example.com' };
  const test = (settings: object) => call(rig.m.url, 'POST', '/api/settings/notifications/mail-test', { token: rig.admin, json: { mail: settings, to: 'me@example.com' } });
  const refused = await test(mail);
  t.false(refused.body.ok);
  t.regex(refused.body.message, /self[- ]signed/i);
  t.is(smtp.mails.length, 0);
  const sent = await test({ ...mail, trustedCertificates: smtp.certificate });
  t.true(sent.body.ok, sent.body.message);
  t.like(smtp.mails[0], { to: ['me@example.com'], user: LOGIN.user, secure: true });
});
