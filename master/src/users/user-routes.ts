import Router from '@koa/router';
import { NewApiTokenRequest, RegisterUserRequest, SecuritySettings, UpdateUserRequest } from '../../../shared/src/identity.ts';
import { checkTokenAccess, type ApiTokensService } from '../auth/api-tokens.ts';
import { principalOf, requireAdmin, requireUser } from '../auth/authenticate.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import type { AuthState } from '../auth/principal.ts';
import { parseInput } from '../http/validate.ts';
import type { SettingsService } from '../settings/settings.ts';
import { WrongCurrentPasswordError, type UsersService } from './users.ts';

/** People: registration (anonymous only for the first user or with self sign-up), the People list, accounts. */
export function userRoutes(users: UsersService, settings: SettingsService, throttle: LoginThrottle, apiTokens: ApiTokensService): Router {
  const router = new Router({ prefix: '/api' });

  router.post('/users', async (ctx) => {
    const req = parseInput(RegisterUserRequest, ctx.request.body);
    const by = (ctx.state as AuthState).principal;
    // Each registration hashes a password: anonymous ones are counted per address.
    if (!by) await throttle.signUp(ctx.ip);
    const user = await users.register(by, req);
    ctx.status = 201;
    ctx.set('Location', `/api/users/${encodeURIComponent(user.username)}`);
    ctx.body = user;
  });
  router.get('/users', requireUser, async (ctx) => {
    ctx.body = { users: await users.list() };
  });
  router.get('/users/:username', requireUser, async (ctx) => {
    ctx.body = await users.get(ctx.params.username!);
  });
  router.patch('/users/:username', requireUser, async (ctx) => {
    const req = parseInput(UpdateUserRequest, ctx.request.body);
    const by = principalOf(ctx);
    // Guessing one's current password here is guessing it at the login: the same counters.
    const ownPassword = req.password !== undefined && by.name.toLowerCase() === ctx.params.username!.toLowerCase();
    if (ownPassword) await throttle.check('user', by.name, ctx.ip);
    try {
      ctx.body = await users.update(by, ctx.params.username!, req);
    } catch (err) {
      if (ownPassword && err instanceof WrongCurrentPasswordError) await throttle.recordFailure('user', by.name, ctx.ip);
      throw err;
    }
  });
  router.delete('/users/:username', requireAdmin, async (ctx) => {
    await users.delete(principalOf(ctx), ctx.params.username!);
    ctx.status = 204;
  });

  // API tokens (HTTP Basic user:token): the person makes theirs; an admin may list and revoke anyone's.
  router.get('/users/:username/tokens', requireUser, async (ctx) => {
    checkTokenAccess(principalOf(ctx), ctx.params.username!, 'list');
    ctx.body = { tokens: await apiTokens.list(ctx.params.username!) };
  });
  router.post('/users/:username/tokens', requireUser, async (ctx) => {
    const { name } = parseInput(NewApiTokenRequest, ctx.request.body);
    checkTokenAccess(principalOf(ctx), ctx.params.username!, 'generate');
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await apiTokens.generate(ctx.params.username!, name);
  });
  router.delete('/users/:username/tokens/:uuid', requireUser, async (ctx) => {
    checkTokenAccess(principalOf(ctx), ctx.params.username!, 'revoke');
    await apiTokens.revoke(ctx.params.username!, ctx.params.uuid!);
    ctx.status = 204;
  });

  router.get('/settings/security', requireAdmin, async (ctx) => {
    ctx.body = await settings.security();
  });
  router.put('/settings/security', requireAdmin, async (ctx) => {
    ctx.body = await settings.setSecurity(parseInput(SecuritySettings, ctx.request.body));
  });
  return router;
}
