/**
 * Changing one's own password in the browser: the header's Password link opens the form, which
 * asks for the current password; a wrong one is named on its field and changes nothing, the right
 * one changes the password. Through nginx in Chromium.
 */
import test from 'ava';
import { bootstrapAdmin, call, login } from '../helpers/http.ts';
import { expectNoPageErrors, startUiSystem, type UiSystem } from '../helpers/ui-system.ts';

let sys: UiSystem;
let admin: string;
test.before(async () => {
  sys = await startUiSystem();
  admin = await bootstrapAdmin(sys.url);
  const pia = await call(sys.url, 'POST', '/api/users', { token: admin, json: { username: 'pia', password: 'pia-old-password' } });
  if (pia.status !== 201) throw new Error(pia.text);
});
test.after.always(async () => {
  await sys?.close();
});

test('the header’s Password link: the form needs the current password, names a wrong one, and changes it with the right one', async (t) => {
  const ui = await sys.session(t, await login(sys.url, 'pia', 'pia-old-password'));
  const { page, shot } = ui;
  await page.goto(`${sys.url}/`);
  await page.locator('header').getByRole('link', { name: 'Password' }).click();
  await page.waitForURL(`${sys.url}/me/password`);
  await page.getByRole('heading', { name: 'Password of pia' }).waitFor();

  await page.fill('#current-password', 'a-wrong-guess');
  await page.fill('#new-password', 'pia-new-password');
  await page.fill('#confirm-password', 'pia-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('.field-error').getByText('not your current password').waitFor();
  await shot('50-password-wrong-current');
  t.is((await call(sys.url, 'POST', '/login', { json: { username: 'pia', password: 'pia-old-password' } })).status, 200, 'unchanged');

  await page.fill('#current-password', 'pia-old-password');
  await page.fill('#new-password', 'pia-new-password');
  await page.fill('#confirm-password', 'pia-new-passwort');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('.field-error').getByText('must be the same as the new password').waitFor();

  await page.fill('#confirm-password', 'pia-new-password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed: your other sessions have ended').waitFor();
  t.is(await page.locator('.field-error').count(), 0);
  t.is((await call(sys.url, 'POST', '/login', { json: { username: 'pia', password: 'pia-old-password' } })).status, 401);
  t.is((await call(sys.url, 'POST', '/login', { json: { username: 'pia', password: 'pia-new-password' } })).status, 200);
  expectNoPageErrors(t, ui);
});
