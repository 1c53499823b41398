/**
 * The session in the browser: an expired or refused token brings the login page back with a
 * message and returns to the same page afterwards; an active person's token is renewed; logout
 * forgets the token.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { ADMIN, bootstrapAdmin, call } from '../helpers/http.ts';
import { until } from '../helpers/processes.ts';
import { sessionToken } from '../helpers/sessions.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

const JOB = 'nightly release';
const JOB_PATH = `/job/${encodeURIComponent(JOB)}/`;
let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  const created = await call(sys.url, 'POST', '/api/jobs', { token: admin, json: { name: JOB, description: 'Ships it.' } });
  if (created.status !== 201) throw new Error(created.text);
});
test.after.always(async () => {
  await sys?.close();
});

/** A token of the admin's issued `agoMs` ago, signed with `key`. */
async function tokenIssued(agoMs: number, key = sys.master.signingKey): Promise<string> {
  return sessionToken(sys.master, ADMIN.username, { issuedAgoMs: agoMs, key });
}

async function openWithToken(page: Page, token: string, path: string) {
  await page.goto(`${sys.url}/login`);
  await page.evaluate((t) => localStorage.setItem('jonkkins.token', t), token);
  await page.goto(`${sys.url}${path}`);
}

async function logInAgain(page: Page) {
  await page.fill('#username', ADMIN.username);
  await page.fill('#password', ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('an expired token in localStorage → the login page says so → after login, back on the same page', async (t) => {
  const ui = await sys.session(t);
  const { page, shot } = ui;
  await openWithToken(page, await tokenIssued(60 * 60_000), JOB_PATH);
  await page.getByText('Your session has expired. Please log in again.').waitFor();
  const here = new URL(page.url());
  t.is(here.pathname, '/login');
  t.is(here.searchParams.get('next'), JOB_PATH);
  await shot('20-session-expired');
  await logInAgain(page);
  await page.getByRole('heading', { name: `Project ${JOB}` }).waitFor();
  t.is(new URL(page.url()).pathname, JOB_PATH);
  expectNoPageErrors(t, ui);
});

test('a token the server refuses (not signed by this master) → login page → back to the page', async (t) => {
  const ui = await sys.session(t);
  const { page } = ui;
  await openWithToken(page, await tokenIssued(0, Buffer.alloc(48, 7)), JOB_PATH);
  await page.getByText('Your session has expired. Please log in again.').waitFor();
  t.is(new URL(page.url()).searchParams.get('next'), JOB_PATH);
  await logInAgain(page);
  await page.getByRole('heading', { name: `Project ${JOB}` }).waitFor();
  t.is(new URL(page.url()).pathname, JOB_PATH);
});

test('an active person’s token is renewed in the background before it expires', async (t) => {
  const ui = await sys.session(t);
  const { page } = ui;
  const old = await tokenIssued(12 * 60_000); // 3 minutes left
  await openWithToken(page, old, JOB_PATH);
  await page.getByRole('heading', { name: `Project ${JOB}` }).waitFor();
  await page.keyboard.press('Tab'); // activity
  await until('a renewed token in localStorage', async () => (await page.evaluate(() => localStorage.getItem('jonkkins.token'))) !== old, 10_000, 100);
  const renewed = (await page.evaluate(() => localStorage.getItem('jonkkins.token')))!;
  const exp = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
  t.true(exp(renewed) > exp(old) + 10 * 60, 'the new token lives 15 minutes from now');
  t.is((await call(sys.url, 'GET', '/api/whoami', { token: renewed })).status, 200);
});

test('Log out ends the session on the server, forgets the token and shows the login page', async (t) => {
  const ui = await sys.session(t);
  const { page } = ui;
  await openWithToken(page, await tokenIssued(0), '/');
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  const token = (await page.evaluate(() => localStorage.getItem('jonkkins.token')))!;
  t.is((await call(sys.url, 'GET', '/api/whoami', { token })).status, 200);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to Jonkkins' }).waitFor();
  t.is(await page.evaluate(() => localStorage.getItem('jonkkins.token')), null);
  await until('the server refuses the token', async () => (await call(sys.url, 'GET', '/api/whoami', { token })).status === 401, 10_000, 50);
  await page.goto(`${sys.url}${JOB_PATH}`);
  await page.getByRole('heading', { name: 'Log in to Jonkkins' }).waitFor();
  t.false(await page.getByText('Your session has expired').isVisible(), 'a logged-out person is not told their session expired');
});

test('after too many wrong passwords the login page says how long to wait', async (t) => {
  const ui = await sys.session(t);
  const { page, shot } = ui;
  const created = await call(sys.url, 'POST', '/api/users', { token: admin, json: { username: 'forgetful', password: 'the-right-password' } });
  t.is(created.status, 201, created.text);
  // From the browser's address (every request here comes through nginx from 127.0.0.1).
  for (let i = 0; i < 5; i++) t.is((await call(sys.url, 'POST', '/login', { json: { username: 'forgetful', password: `wrong-${i}` } })).status, 401);
  await page.goto(`${sys.url}/login`); // loaded directly, as a reload of the login page does
  await page.fill('#username', 'forgetful');
  await page.fill('#password', 'the-right-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').getByText(/Too many failed attempts\. Try again in 1[45] minutes\./).waitFor();
  await shot('21-login-throttled');
  t.is(await page.evaluate(() => localStorage.getItem('jonkkins.token')), null);
});
