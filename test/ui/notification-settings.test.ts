/**
 * Manage Jonkkins → System's Slack and E-mail Notification sections and the job's two post-build
 * actions, through nginx in Chromium: each "Test configuration" button sends with the form's
 * values (a local Slack receiver and a real STARTTLS SMTP server get them), Save keeps them, and
 * the job configure page adds both publishers.
 */
import { join } from 'node:path';
import test from 'ava';
import { SCREENSHOTS } from '../helpers/browser.ts';
import { until } from '../helpers/processes.ts';
import { bootstrapAdmin, call } from '../helpers/http.ts';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

const TOKEN = 'xoxb-ui-test';
const LOGIN = { user: 'mailer', password: 'mail pass' };
let sys: UiSystem;
let admin: string;
let slack: SlackReceiver;
let smtp: SmtpReceiver;
test.before(async () => {
  [sys, slack, smtp] = await Promise.all([startUiSystem(), startSlackReceiver({ token: TOKEN }), startSmtpReceiver(LOGIN)]);
  admin = await bootstrapAdmin(sys.url);
  await addCredentials(sys.url, admin);
  const job = await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: 'notified' } });
  if (job.status !== 201) throw new Error(job.text);
});
test.after.always(async () => {
  await Promise.all([sys?.close(), slack?.close(), smtp?.close()]);
});

/** The Slack token and the SMTP login, as credentials of a master. */
async function addCredentials(url: string, token: string): Promise<void> {
  for (const json of [
    { id: 'slack-bot', kind: 'secretText', secret: TOKEN, description: 'Slack bot' },
    { id: 'smtp-login', kind: 'usernamePassword', ...{ username: LOGIN.user, password: LOGIN.password } },
  ]) {
    const res = await call(url, 'POST', '/api/credentials', { token, json });
    if (res.status !== 201) throw new Error(res.text);
  }
}

const settingsOf = async (url: string, token: string) => (await call(url, 'GET', '/api/settings/notifications', { token })).body;

// The Slack test is the one that saves this master's notification settings; the E-mail test has a master of its own.
test('Slack: Test configuration posts with the form\'s values; Save keeps them', async (t) => {
  const settings = () => settingsOf(sys.url, admin);
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/manage/system`);
  await page.locator('#slack-enabled').check();
  await page.locator('#f-slack-credentialId').selectOption('slack-bot');
  await page.locator('#f-slack-defaultChannel').fill('#ci');
  await page.locator('#f-slack-baseUrl').fill(`${slack.url}/api/`);
  await page.getByRole('button', { name: 'Test configuration', exact: true }).click();
  await t.notThrowsAsync(page.locator('#slack-test-outcome', { hasText: 'Success: posted to C0JONKKINS' }).waitFor());
  t.is(slack.taken.length, 1);
  t.is(slack.taken[0]!.auth, `Bearer ${TOKEN}`);
  t.is(slack.taken[0]!.body.text, `Slack/Jonkkins plugin: you're all set on ${sys.url}/`);
  t.is((await settings()).slack, null, 'a test saves nothing');

  // A refused test says what Slack said.
  await page.locator('#slack-test-channel').fill('');
  slack.refuseWith('not_in_channel');
  await page.getByRole('button', { name: 'Test configuration', exact: true }).click();
  await t.notThrowsAsync(page.locator('#slack-test-outcome', { hasText: 'Failed: chat.postMessage: not_in_channel' }).waitFor());
  slack.refuseWith(null);

  await page.locator('#notifications-save').click();
  await until('the Slack settings to be saved', async () => (await settings()).slack !== null, 10_000, 50);
  t.deepEqual((await settings()).slack, { auth: 'botToken', credentialId: 'slack-bot', defaultChannel: '#ci', baseUrl: `${slack.url}/api/` });
  expectNoPageErrors(t, ui);
});

test('E-mail: a bad port is shown at its field; Test configuration sends a mail over STARTTLS with AUTH; Save keeps it', async (t) => {
  // A master of its own: the notification settings are master-wide, and the Slack test saves them.
  const own = await sys.own(t);
  const owner = await bootstrapAdmin(own.url);
  await addCredentials(own.url, owner);
  const settings = () => settingsOf(own.url, owner);
  const savedSlack = { auth: 'botToken', credentialId: 'slack-bot', defaultChannel: '#ops', baseUrl: `${slack.url}/api/` };
  const put = await call(own.url, 'PUT', '/api/settings/notifications', { token: owner, json: { slack: savedSlack, mail: null } });
  t.is(put.status, 200, put.text);
  const ui = await own.session(t, owner);
  const { page } = ui;
  await page.goto(`${own.url}/manage/system`);
  await page.locator('#mail-enabled').check();
  await page.locator('#f-mail-host').fill('127.0.0.1');
  await page.locator('#f-mail-port').fill('70000');
  await page.locator('#f-mail-from').fill('ci@example.com');
  await page.locator('#notifications-save').click();
  await t.notThrowsAsync(page.locator('.field-error', { hasText: /65535/ }).waitFor());
  await page.locator('#f-mail-port').fill(String(smtp.port));
  await page.locator('#f-mail-security').selectOption('starttls');
  await page.locator('#f-mail-credentialId').selectOption('smtp-login');
  await page.locator('#f-mail-trustedCertificates').fill(smtp.certificate);
  await page.locator('#mail-test-to').fill('admin@example.com');
  await page.getByRole('button', { name: 'Test configuration by sending test e-mail' }).click();
  await t.notThrowsAsync(page.locator('#mail-test-outcome', { hasText: 'Email was successfully sent to admin@example.com' }).waitFor());
  t.is(smtp.mails.length, 1);
  t.like(smtp.mails[0], { to: ['admin@example.com'], from: 'ci@example.com', user: LOGIN.user, secure: true });
  t.regex(smtp.mails[0]!.subject, /^Test email #\d+$/);
  await page.locator('#notifications-save').click();
  await until('the mail settings to be saved', async () => (await settings()).mail?.port === smtp.port, 10_000, 50);
  await page.screenshot({ path: join(SCREENSHOTS, '60-notification-settings.png'), fullPage: true });
  t.like((await settings()).mail, { host: '127.0.0.1', port: smtp.port, security: 'starttls', credentialId: 'smtp-login', from: 'ci@example.com' });
  t.deepEqual((await settings()).slack, savedSlack, 'the Slack section stayed as saved');
  expectNoPageErrors(t, ui);
});

test('the job configure page adds Slack Notifications and E-mail Notification post-build actions', async (t) => {
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/job/notified/configure`);
  await page.locator('#add-publisher').selectOption('slackNotifier');
  await page.getByRole('button', { name: 'Add post-build action' }).click();
  await page.getByLabel('Notify Build Start').check();
  await page.getByLabel('Notify Repeated Failure').check();
  await page.locator('#f-publishers-0-channel').fill('#releases');
  await page.getByLabel('Include Custom Message').check();
  await page.locator('#f-publishers-0-customMessage').fill('Deploy <soon> & now');
  await page.locator('#f-publishers-0-commitInfo').selectOption('authorsAndTitles');
  await page.locator('#add-publisher').selectOption('mailer');
  await page.getByRole('button', { name: 'Add post-build action' }).click();
  await page.locator('#f-publishers-1-recipients').fill('team@example.com dev@example.com');
  await page.getByLabel('Send e-mail for every unstable build').uncheck();
  await page.getByLabel('Send separate e-mails to individuals who broke the build').check();
  await page.locator('[data-item="publishers.0"]').screenshot({ path: join(SCREENSHOTS, '61-job-slack-action.png') });
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  let job: { publishers: unknown[] } = { publishers: [] };
  await until('the job to be saved', async () => (job = (await call(sys.url, 'GET', '/api/jobs/notified', { token: admin })).body).publishers.length === 2, 10_000, 50);
  t.like(job.publishers[0], { type: 'slackNotifier', notifyStart: true, notifyRepeatedFailure: true, notifyFailure: true, notifyBackToNormal: true, notifySuccess: false, channel: '#releases', includeCustomMessage: true, customMessage: 'Deploy <soon> & now', commitInfo: 'authorsAndTitles' });
  t.deepEqual(job.publishers[1], { type: 'mailer', recipients: 'team@example.com dev@example.com', notifyEveryUnstableBuild: false, sendToIndividuals: true });
  expectNoPageErrors(t, ui);
});
