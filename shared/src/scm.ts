/**
 * A job's source control (Jenkins' git plugin): what the agent checks out before the first step,
 * what Poll SCM watches and what push notifications match. Only git, as `type` says.
 */
import { z } from 'zod';
import { CredentialId } from './credentials.ts';

/**
 * A branch specifier as the git plugin takes it: `main`, `*\/main`, `origin/release-*`, `refs/heads/x`,
 * `refs/tags/v*`, or a commit sha. No spaces or control characters; never an option (`-…`).
 */
export const BranchSpec = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s\0-\x1f\x7f~^:?\\[]+$|^[0-9a-f]{7,64}$/, 'must be a branch, tag or commit specifier such as */main, origin/release-*, refs/tags/v* or a sha')
  .refine((b) => !b.startsWith('-'), 'must not start with "-"');

/** `url`: https://, http://, ssh://, git:// or scp-like `user@host:path`; never with a password in it (use credentialsId). */
export const GitUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((u) => !u.startsWith('-') && !/[\s\0]/.test(u), 'must be a repository URL')
  .refine((u) => /^(https?|ssh|git|file):\/\//.test(u) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(u), 'must be an https://, ssh://, git:// or user@host:path repository URL')
  .refine((u) => !/^[a-z]+:\/\/[^/@]*:[^/@]*@/.test(u), 'must not carry a password: choose a credential (credentialsId)');

export const GitScm = z.strictObject({
  type: z.literal('git'),
  url: GitUrl,
  credentialsId: CredentialId.optional(),
  /** Branches to build, as the git plugin's "Branch Specifier"; the first that exists is built. */
  branches: z.array(BranchSpec).min(1).max(20).default(['*/main']),
  /** An extra refspec to fetch (Jenkins' "Refspec"), e.g. +refs/pull/*:refs/remotes/origin/pr/*. */
  refspec: z.string().min(1).max(1024).refine((r) => !r.startsWith('-') && !/[\s\0]/.test(r), 'must be a refspec').optional(),
  /** Shallow fetch depth; absent = full history. */
  depth: z.number().int().min(1).max(1_000_000).optional(),
  submodules: z.boolean().default(false),
  /** `git clean -fdx` before checkout (the plugin's "Clean before checkout"). */
  clean: z.boolean().default(false),
});
export type GitScm = z.infer<typeof GitScm>;
