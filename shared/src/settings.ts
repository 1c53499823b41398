/** Instance-wide settings the UI shows and edits (Manage Jonkkins → System), and the login page's first-run facts. */
import { z } from 'zod';
import { CredentialId } from './credentials.ts';

/** An absolute http(s) URL without credentials, query or fragment, normalised to end in `/`. */
export const PublicUrl = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine(isPlainHttpUrl, 'must be an absolute http(s) URL without user, query or fragment, e.g. https://ci.example.com/')
  .transform(withTrailingSlash);

export const SystemSettings = z.strictObject({
  /** The URL people and agents reach Jonkkins at; builds get it as JONKKINS_URL, and BUILD_URL/JOB_URL under it. */
  publicUrl: PublicUrl,
});
export type SystemSettings = z.infer<typeof SystemSettings>;

/** What the login page may know before anyone logs in (GET /api/setup). */
export const SetupInfo = z.object({
  /** No user exists yet: the first to register becomes the administrator. */
  needsAdmin: z.boolean(),
  /** Anyone may register as a plain user. */
  selfSignup: z.boolean(),
  /** Creating the first admin needs the setup code the master logged (it listens beyond loopback). */
  setupCodeRequired: z.boolean(),
});
export type SetupInfo = z.infer<typeof SetupInfo>;

function isPlainHttpUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const u = new URL(s);
  // `s` itself must carry no `?`/`#`: new URL drops an empty one, which would hide a typo.
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '' && !u.username && !u.password && !/[?#]/.test(s);
}

function withTrailingSlash(s: string): string {
  const u = new URL(s);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/**
 * Manage Jonkkins → Webhooks (admin): what authenticates the forges' push notifications.
 * `githubSecretCredentialsId` / `giteaSecretCredentialsId`: secretText credentials whose secret is
 * the webhook secret the forge signs with (GitHub's X-Hub-Signature-256, Gitea's X-Gitea-Signature);
 * `notifyCommitAccessToken`: the git plugin's access token, required by /git/notifyCommit (kept
 * encrypted; answered as "****", which saving back keeps). Absent = that endpoint refuses everything.
 */
export const WebhookSettings = z.strictObject({
  githubSecretCredentialsId: CredentialId.nullable().default(null),
  giteaSecretCredentialsId: CredentialId.nullable().default(null),
  notifyCommitAccessToken: z.union([z.literal('****'), z.string().min(16, 'must be at least 16 characters').max(256)]).nullable().default(null),
});
export type WebhookSettings = z.infer<typeof WebhookSettings>;
