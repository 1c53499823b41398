/**
 * The notification settings' API: admins only; bad input is a 400 naming the field; nothing is
 * configured until saved; the test endpoints answer what went wrong rather than failing.
 */
import test from 'ava';
import { bootstrapAdmin, call, login } from '../helpers/http.ts';
import { startTestMaster, type TestMaster } from '../helpers/test-master.ts';

let m: TestMaster;
let admin: string;
let user: string;
test.before(async () => {
  m = await startTestMaster();
  admin = await bootstrapAdmin(m.url);
  await call(m.url, 'POST', '/api/users', { token: admin, json: { username: 'plain', password: 'plain-password' } });
  user = await login(m.url, 'plain', 'plain-password');
});
test.after.always(() => m?.close());

const PATH = '/api/settings/notifications';

test('nothing is configured at first; only admins read or change it', async (t) => {
  t.deepEqual((await call(m.url, 'GET', PATH, { token: admin })).body, { slack: null, mail: null });
  t.is((await call(m.url, 'GET', PATH, { token: user })).status, 403);
  t.is((await call(m.url, 'PUT', PATH, { token: user, json: { slack: null, mail: null } })).status, 403);
  t.is((await call(m.url, 'POST', `${PATH}/slack-test`, { token: user, json: {} })).status, 403);
  t.is((await call(m.url, 'GET', PATH)).status, 401);
});

test('bad settings are 400s that name the field', async (t) => {
  const bad = async (json: unknown, field: string) => {
    const res = await call(m.url, 'PUT', PATH, { token: admin, json });
    t.is(res.status, 400, JSON.stringify(json));
    t.true(res.body.error.details.some((d: { field: string }) => d.field === field), `${field} in ${res.text}`);
  };
  await bad({ slack: { auth: 'botToken', credentialId: 'x', baseUrl: 'ftp://example.com/' } }, 'slack.baseUrl');
  await bad({ slack: { auth: 'carrier pigeon', credentialId: 'x' } }, 'slack.auth');
  await bad({ slack: { auth: 'botToken', credentialId: '../etc' } }, 'slack.credentialId');
  await bad({ slack: { auth: 'botToken', credentialId: 'x', defaultChannel: '#a\nb' } }, 'slack.defaultChannel');
  await bad({ mail: { host: 'smtp.example.com', port: 0, from: 'ci@example.com' } }, 'mail.port');
  await bad({ mail: { host: 'smtp.example.com', from: 'ci@example.com\r\nBcc: x@y' } }, 'mail.from');
  await bad({ mail: { host: 'a b', from: 'ci@example.com' } }, 'mail.host');
  await bad({ slack: null, mail: null, extra: 1 }, '');
  const saved = await call(m.url, 'PUT', PATH, { token: admin, json: { slack: { auth: 'webhook', credentialId: 'hook' } } });
  t.is(saved.status, 200);
  t.deepEqual(saved.body, { slack: { auth: 'webhook', credentialId: 'hook', defaultChannel: '', baseUrl: 'https://slack.com/api/' }, mail: null });
});

test('a job\'s publishers are checked: recipients must be addresses, commitInfo one of three', async (t) => {
  const job = (publishers: unknown[]) => call(m.url, 'POST', '/api/jobs', { token: admin, json: { name: `p-${Math.random().toString(36).slice(2)}`, publishers } });
  t.is((await job([{ type: 'mailer', recipients: 'a@example.com, not-an-address' }])).status, 400);
  t.is((await job([{ type: 'mailer', recipients: 'a@example.com\r\nBcc: x@y' }])).status, 400);
  t.is((await job([{ type: 'slackNotifier', commitInfo: 'everything' }])).status, 400);
  t.is((await job([{ type: 'slackNotifier', channel: '<#C1|x>' }])).status, 400);
  const ok = await job([{ type: 'slackNotifier' }, { type: 'mailer', recipients: '' }]);
  t.is(ok.status, 201, ok.text);
  t.like(ok.body.publishers[0], { notifyFailure: true, notifyBackToNormal: true, notifySuccess: false, commitInfo: 'none' });
});

test('Test configuration answers what went wrong: an unknown credential, an unreachable server', async (t) => {
  const slack = await call(m.url, 'POST', `${PATH}/slack-test`, { token: admin, json: { slack: { auth: 'botToken', credentialId: 'nobody', defaultChannel: '#ci' } } });
  t.is(slack.status, 200);
  t.false(slack.body.ok);
  t.regex(slack.body.message, /^Failed: Slack: .*nobody/);
  await call(m.url, 'POST', '/api/credentials', { token: admin, json: { id: 'not-a-hook', kind: 'secretText', secret: 'not a url' } });
  const hook = await call(m.url, 'POST', `${PATH}/slack-test`, { token: admin, json: { slack: { auth: 'webhook', credentialId: 'not-a-hook' } } });
  t.deepEqual(hook.body, { ok: false, message: 'Failed: the Slack webhook credential does not hold an http(s) URL' });
  await call(m.url, 'POST', '/api/credentials', { token: admin, json: { id: 'a-login', kind: 'usernamePassword', username: 'u', password: 'p' } });
  const kind = await call(m.url, 'POST', `${PATH}/slack-test`, { token: admin, json: { slack: { auth: 'botToken', credentialId: 'a-login', defaultChannel: '#ci' } } });
  t.deepEqual(kind.body, { ok: false, message: "Failed: Slack: credential 'a-login' is usernamePassword, not secretText" });
  const mail = await call(m.url, 'POST', `${PATH}/mail-test`, { token: admin, json: { mail: { host: '127.0.0.1', port: 1, security: 'none', from: 'ci@example.com' }, to: 'me@example.com' } });
  t.is(mail.status, 200);
  t.false(mail.body.ok);
  t.regex(mail.body.message, /^Failed: SMTP: .*ECONNREFUSED/);
  t.is((await call(m.url, 'POST', `${PATH}/mail-test`, { token: admin, json: { mail: { host: '127.0.0.1', from: 'ci@example.com' }, to: 'nope' } })).status, 400);
});
