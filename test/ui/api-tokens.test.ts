/**
 * API tokens in the UI: the name in the header and on the People page leads to the person's page
 * (Jenkins' /user/<id>/), where they make a token — its value shown once, working at once as the
 * password of HTTP Basic on Jenkins' paths — see its last use, and revoke it (it stops working).
 * Someone else sees the person's page without their tokens. Through nginx in Chromium.
 */
import test from 'ava';
import { ADMIN, bootstrapAdmin, call, login } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
});
test.after.always(async () => {
  await sys?.close();
});

const basic = (user: string, token: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` });

test('a person makes an API token on their page: shown once, works for HTTP Basic, its use listed, revoked', async (t) => {
  const ui = await sys.session(t, admin);
  const { page } = ui;
  await page.goto(`${sys.url}/`);
  await page.locator('jk-app header a.who').click();
  await page.waitForURL(`${sys.url}/user/${ADMIN.username}/`);
  await page.locator('jk-user-page', { hasText: 'No API tokens.' }).waitFor();
  await page.locator('#token-name').fill('laptop scripts');
  await page.locator('jk-user-page button', { hasText: 'Create token' }).click();
  const value = (await page.locator('[data-testid="new-token"]').textContent())!.trim();
  t.regex(value, /^11[0-9a-f]{32}$/);
  await page.locator('jk-user-page tr', { hasText: 'laptop scripts' }).waitFor();

  const used = await call(sys.url, 'GET', '/me/api/json', { headers: basic(ADMIN.username, value) });
  t.is(used.status, 200);
  t.is(used.body.id, ADMIN.username);

  await page.locator('jk-user-page button', { hasText: 'Done' }).click();
  await page.reload();
  const row = page.locator('jk-user-page tr', { hasText: 'laptop scripts' });
  await row.waitFor();
  t.is(await page.locator('[data-testid="new-token"]').count(), 0, 'the value is not shown again');
  t.false((await page.locator('jk-user-page').textContent())!.includes(value));
  t.regex((await row.locator('td').nth(2).textContent())!, /ago|just now|s$/, 'last used: shown');
  t.is((await row.locator('td.num').textContent())!.trim(), '1');

  await row.locator('button', { hasText: 'Revoke' }).click();
  await page.locator('jk-user-page', { hasText: 'No API tokens.' }).waitFor();
  t.is((await call(sys.url, 'GET', '/me/api/json', { headers: basic(ADMIN.username, value) })).status, 401, 'revoked: refused at once');
  expectNoPageErrors(t, ui);
});

test("the People page links to each person's page; another person sees it without their tokens", async (t) => {
  // People of the test's own: the admin's tokens are the other test's.
  for (const json of [{ username: 'carol', password: 'carol-password-1' }, { username: 'bob', fullName: 'Bob <b>Builder</b>', password: 'bob-the-builder' }]) {
    const made = await call(sys.url, 'POST', '/api/users', { token: admin, json });
    t.is(made.status, 201, made.text);
  }
  const carol = await login(sys.url, 'carol', 'carol-password-1');
  const made = await call(sys.url, 'POST', '/api/users/carol/tokens', { token: carol, json: { name: 'hidden from bob' } });
  t.is(made.status, 201, made.text);
  const ui = await sys.session(t, await login(sys.url, 'bob', 'bob-the-builder'));
  const { page } = ui;
  await page.goto(`${sys.url}/people`);
  await page.locator('jk-people-page a', { hasText: 'carol' }).click();
  await page.waitForURL(`${sys.url}/user/carol/`);
  await page.locator('jk-user-page dl').waitFor();
  t.is(await page.locator('jk-user-page', { hasText: 'API Token' }).count(), 0, "bob does not see carol's tokens");
  t.false((await page.locator('jk-user-page').textContent())!.includes('hidden from bob'));
  await page.goto(`${sys.url}/user/bob/`);
  await page.locator('jk-user-page dd', { hasText: 'Bob <b>Builder</b>' }).waitFor();
  t.is(await page.locator('jk-user-page b').count(), 0, 'the full name is text, not markup');
  await page.locator('jk-user-page', { hasText: 'No API tokens.' }).waitFor();
  expectNoPageErrors(t, ui);
});
