/** Login, people, agents (nodes), views and instance settings. */
import type { RegisterAgentRequest, RegisterUserRequest, SecuritySettings, UpdateAgentRequest, UpdateUserRequest } from '../../../shared/src/identity.ts';
import { requestJson, send, seg } from './http.ts';
import { session } from './session.ts';
import type { SetupInfo, WebhookSettings } from '../../../shared/src/settings.ts';
import type { CredentialMetadata } from '../../../shared/src/credentials.ts';
import type { AgentWithExecutors, ApiToken, NewApiToken, User, View } from './types.ts';

/** Logs in and starts the session; a wrong name or password is an ApiError 401. */
export async function login(username: string, password: string): Promise<void> {
  const res = await send('POST', '/login', { body: { username, password }, anonymous: true });
  session.start((await res.text()).trim());
}

/** Ends the session on the server, so its tokens stop working everywhere, then forgets the token here. */
export async function logout(): Promise<void> {
  try {
    if (session.signedIn) await send('POST', '/logout');
  } catch {
    // The session had ended already, or the server is away: the token is forgotten all the same.
  }
  session.end('logged-out');
}

export const renewToken = async () => (await (await send('POST', '/api/token')).text()).trim();
export const setupInfo = () => requestJson<SetupInfo>('GET', '/api/setup', { anonymous: true });

/** Registers a person: anonymously for the first user (admin) or with self sign-up, else as an admin. */
export const registerUser = (req: RegisterUserRequest, anonymous = false) => requestJson<User>('POST', '/api/users', { body: req, anonymous });
export const listUsers = async () => (await requestJson<{ users: User[] }>('GET', '/api/users')).users;
export const updateUser = (username: string, req: UpdateUserRequest) => requestJson<User>('PATCH', `/api/users/${seg(username)}`, { body: req });
export const deleteUser = (username: string) => requestJson<void>('DELETE', `/api/users/${seg(username)}`);
export const getUser = (username: string) => requestJson<User>('GET', `/api/users/${seg(username)}`);

/** API tokens (HTTP Basic user:token for scripts and Jenkins clients): a new one's value is in the answer only. */
export const listApiTokens = async (username: string) => (await requestJson<{ tokens: ApiToken[] }>('GET', `/api/users/${seg(username)}/tokens`)).tokens;
export const createApiToken = (username: string, name: string) => requestJson<NewApiToken>('POST', `/api/users/${seg(username)}/tokens`, { body: { name } });
export const revokeApiToken = (username: string, uuid: string) => requestJson<void>('DELETE', `/api/users/${seg(username)}/tokens/${seg(uuid)}`);

export type NewAgent = AgentWithExecutors & { secret: string; command: string };
export const createAgent = (req: RegisterAgentRequest) => requestJson<NewAgent>('POST', '/api/agents', { body: req });
export const updateAgent = (name: string, req: UpdateAgentRequest) => requestJson<AgentWithExecutors>('PATCH', `/api/agents/${seg(name)}`, { body: req });
export const regenerateAgentSecret = (name: string) => requestJson<NewAgent>('POST', `/api/agents/${seg(name)}/secret`);
export const deleteAgent = (name: string) => requestJson<void>('DELETE', `/api/agents/${seg(name)}`);

export const listViews = async () => (await requestJson<{ views: View[] }>('GET', '/api/views')).views;
export const getView = (name: string) => requestJson<View>('GET', `/api/views/${seg(name)}`);
export const createView = (view: View) => requestJson<View>('POST', '/api/views', { body: view });
export const saveView = (name: string, view: View) => requestJson<View>('PUT', `/api/views/${seg(name)}`, { body: view });
export const deleteView = (name: string) => requestJson<void>('DELETE', `/api/views/${seg(name)}`);

export const getSecurity = () => requestJson<SecuritySettings>('GET', '/api/settings/security');
export const saveSecurity = (s: SecuritySettings) => requestJson<SecuritySettings>('PUT', '/api/settings/security', { body: s });
export const getSystem = () => requestJson<{ publicUrl: string }>('GET', '/api/settings/system');
export const saveSystem = (s: { publicUrl: string }) => requestJson<{ publicUrl: string }>('PUT', '/api/settings/system', { body: s });

export const getWebhooks = () => requestJson<WebhookSettings>('GET', '/api/settings/webhooks');
export const saveWebhooks = (s: WebhookSettings) => requestJson<WebhookSettings>('PUT', '/api/settings/webhooks', { body: s });

/** A short-lived URL a plain link can open (logs, artifacts): browsers cannot put a token on a link. */
export const downloadUrl = async (path: string) => (await requestJson<{ url: string }>('POST', '/api/download-tickets', { body: { path } })).url;
