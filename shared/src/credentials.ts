/**
 * Credentials (Jenkins' credentials plugin) and how a job binds them (credentials-binding,
 * ssh-agent). The master keeps the secrets sealed (secret-box.ts) and never gives them back through
 * an API or page: only CredentialMetadata. An agent gets a credential's secret only in the BuildSpec
 * of a build whose job binds or uses it (BuildSpec.credentials).
 */
import { z } from 'zod';
import { VariableName } from './variable-name.ts';

/** Jenkins' `credentialsId`: chosen by the person, unique on the master. */
export const CredentialId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'must be 1–128 letters, digits, "_", ".", "@" or "-", starting with a letter or digit');
export type CredentialId = z.infer<typeof CredentialId>;

const MAX_SECRET = 64 * 1024;

/** The secret part of a credential, by kind: what is sealed at rest and what an agent receives. */
export const CredentialSecret = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('secretText'), secret: z.string().min(1).max(MAX_SECRET) }),
  z.strictObject({ kind: z.literal('usernamePassword'), username: z.string().min(1).max(1024), password: z.string().max(MAX_SECRET) }),
  z.strictObject({
    kind: z.literal('sshPrivateKey'),
    username: z.string().min(1).max(1024),
    privateKey: z.string().min(1).max(MAX_SECRET),
    passphrase: z.string().max(1024).optional(),
  }),
  /** `content` is base64; the file is written under `fileName` (one path component). */
  z.strictObject({
    kind: z.literal('secretFile'),
    fileName: z.string().regex(/^[^/\0]{1,255}$/).refine((n) => n !== '.' && n !== '..', 'must be a file name'),
    content: z.base64().max(Math.ceil((MAX_SECRET * 4) / 3) + 4),
  }),
]);
export type CredentialSecret = z.infer<typeof CredentialSecret>;
export type CredentialKind = CredentialSecret['kind'];

/**
 * Which jobs may use a credential: job names or globs (`*` any characters, `?` one), matched
 * case-insensitively against the whole job name; absent = every job.
 */
export const CredentialJobs = z
  .array(z.string().regex(/^[A-Za-z0-9_. *?-]{1,256}$/, 'must be a job name or a glob of one (letters, digits, "_", "-", ".", spaces, "*", "?")'))
  .max(100);

/** The fields of each kind that are secret: write-only (never answered), masked in every console. */
export const SECRET_FIELDS = {
  secretText: ['secret'],
  usernamePassword: ['password'],
  sshPrivateKey: ['privateKey', 'passphrase'],
  secretFile: ['content'],
} as const satisfies Record<CredentialKind, readonly string[]>;

const credentialFields = { id: CredentialId, description: z.string().max(1000).default(''), jobs: CredentialJobs.optional() };

/** POST /api/credentials: the metadata and the whole secret. */
export const CredentialInput = z.intersection(z.strictObject(credentialFields), CredentialSecret);
export type CredentialInput = z.infer<typeof CredentialInput>;

/**
 * PUT /api/credentials/:id: replaces the credential, except that a secret field left out keeps
 * its stored value (so an edit need not retype the secret) as long as the kind stays the same.
 * `id`, when sent, must be the one in the path: a credential's id never changes (jobs name it).
 */
const [secretText, usernamePassword, sshPrivateKey, secretFile] = CredentialSecret.options;
export const CredentialUpdate = z.intersection(
  z.strictObject({ ...credentialFields, id: CredentialId.optional() }),
  z.discriminatedUnion('kind', [
    secretText.partial({ secret: true }),
    usernamePassword.partial({ password: true }),
    sshPrivateKey.partial({ privateKey: true, passphrase: true }),
    secretFile.partial({ content: true }),
  ]),
);
export type CredentialUpdate = z.infer<typeof CredentialUpdate>;

/** What the API and pages show of a credential: never its secret. */
export const CredentialMetadata = z.object({
  id: z.string(),
  description: z.string(),
  kind: z.enum(['secretText', 'usernamePassword', 'sshPrivateKey', 'secretFile']),
  /** usernamePassword and sshPrivateKey: the user name (Jenkins shows it too). */
  username: z.string().optional(),
  /** secretFile: the file's name. */
  fileName: z.string().optional(),
  jobs: z.array(z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CredentialMetadata = z.infer<typeof CredentialMetadata>;

/** What anyone configuring a job sees of the credentials it may use (Jenkins' credentials drop-down). */
export const CredentialChoice = CredentialMetadata.pick({ id: true, kind: true, description: true });
export type CredentialChoice = z.infer<typeof CredentialChoice>;

/** A job's `credentialBindings` (withCredentials): each puts a credential into the steps' environment. */
export const CredentialBinding = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('secretText'), credentialsId: CredentialId, variable: VariableName }),
  z.strictObject({ type: z.literal('usernamePassword'), credentialsId: CredentialId, usernameVariable: VariableName, passwordVariable: VariableName }),
  /** The key is written to a 0600 file under WORKSPACE_TMP; `keyFileVariable` holds its path. */
  z.strictObject({ type: z.literal('sshKey'), credentialsId: CredentialId, keyFileVariable: VariableName, usernameVariable: VariableName.optional() }),
  /** A secretFile credential written to a 0600 file under WORKSPACE_TMP; `variable` holds its path. */
  z.strictObject({ type: z.literal('file'), credentialsId: CredentialId, variable: VariableName }),
]);
export type CredentialBinding = z.infer<typeof CredentialBinding>;
