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
  /** The refspec to fetch instead of +refs/heads/*:refs/remotes/origin/* (Jenkins' "Refspec"), e.g. +refs/heads/main:refs/remotes/origin/main. */
  refspec: z.string().min(1).max(1024).refine((r) => !r.startsWith('-') && !/[\s\0]/.test(r), 'must be a refspec').optional(),
  /** Shallow fetch depth; absent = full history. */
  depth: z.number().int().min(1).max(1_000_000).optional(),
  submodules: z.boolean().default(false),
  /** `git clean -fdx` before checkout (the plugin's "Clean before checkout"). */
  clean: z.boolean().default(false),
  /**
   * "Check out to specific local branch": the commit is checked out on this branch (`**`: the
   * remote branch's own name) and GIT_LOCAL_BRANCH names it; absent = a detached HEAD, as in Jenkins.
   */
  localBranch: z.string().min(1).max(256).regex(/^(\*\*|[A-Za-z0-9._][A-Za-z0-9._\/-]*)$/, 'must be a branch name or **').optional(),
  /** "Custom user name/e-mail address": git's user.name/user.email in the workspace, and GIT_AUTHOR_NAME/EMAIL, GIT_COMMITTER_NAME/EMAIL. */
  userIdentity: z.strictObject({ name: z.string().min(1).max(256).optional(), email: z.string().min(1).max(256).optional() }).optional(),
});
export type GitScm = z.infer<typeof GitScm>;

/** A commit a cause named: its id (notifyCommit may abbreviate it) and the ref it was pushed to, when known. */
export const ScmRevision = z.strictObject({ commit: z.string().regex(/^[0-9a-f]{7,64}$/), ref: z.string().max(1000).nullable() });
export type ScmRevision = z.infer<typeof ScmRevision>;

/** A full commit id (SHA-1 or SHA-256). */
export const CommitId = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit id (40 or 64 hex digits)');

/** The most commits one build's change set records (newest first); more are counted, not listed. */
export const MAX_CHANGES = 1000;
/** The most paths listed for one commit; more are counted. */
export const MAX_CHANGE_PATHS = 200;
/** A commit message is cut to this many characters. */
export const MAX_CHANGE_MESSAGE = 8000;
/** The most bytes of a checkout report (the agent drops the oldest commits to fit). */
export const MAX_CHECKOUT_REPORT_BYTES = 900_000;

/** One file a commit touched, as Jenkins' changelog lists it. */
export const ChangePath = z.strictObject({ editType: z.enum(['add', 'edit', 'delete']), file: z.string().min(1).max(4096) });

/** One commit of a build's change set. */
export const ChangeSetItem = z.strictObject({
  commitId: CommitId,
  authorName: z.string().max(256),
  authorEmail: z.string().max(256),
  /** Author time, epoch ms. */
  timestamp: z.number().int(),
  /** The whole message (cut at MAX_CHANGE_MESSAGE). */
  message: z.string().max(MAX_CHANGE_MESSAGE + 1),
  paths: z.array(ChangePath).max(MAX_CHANGE_PATHS),
  /** Paths beyond MAX_CHANGE_PATHS that were left out. */
  morePaths: z.number().int().min(0).max(100_000_000).default(0),
});
export type ChangeSetItem = z.infer<typeof ChangeSetItem>;

/**
 * What the agent reports once it checked out (POST AGENT_PATHS.checkout): the commit and branch it
 * built and the commits since this branch's previous build. Untrusted: bounded in counts and sizes.
 */
export const CheckoutReport = z.strictObject({
  commit: CommitId,
  /** GIT_BRANCH: `origin/main`, `refs/tags/v1`, or `detached` for a commit specifier. */
  branch: z.string().min(1).max(256),
  url: z.string().max(2048),
  /** Newest first, at most MAX_CHANGES. */
  changes: z.array(ChangeSetItem).max(MAX_CHANGES),
  /** Commits left out beyond MAX_CHANGES (or to fit MAX_CHECKOUT_REPORT_BYTES). */
  moreChanges: z.number().int().min(0).max(100_000_000).default(0),
});
export type CheckoutReport = z.infer<typeof CheckoutReport>;

/**
 * What the master tells the agent about this job's earlier checkouts (BuildSpec.scmHistory): per
 * branch, the commit of its latest earlier build and of its latest earlier SUCCESS, newest branch
 * first. GIT_PREVIOUS_COMMIT, GIT_PREVIOUS_SUCCESSFUL_COMMIT and the change set come from it.
 */
export const ScmHistory = z
  .array(z.object({ branch: z.string(), commit: CommitId, successfulCommit: CommitId.nullable() }))
  .max(100);
export type ScmHistory = z.infer<typeof ScmHistory>;

/** A build's change set as the API shows it (Jenkins' `changeSet`, kind git). */
export const ChangeSet = z.object({
  kind: z.literal('git'),
  items: z.array(ChangeSetItem),
  /** Commits not listed (beyond the agent's bound). */
  more: z.number(),
});
export type ChangeSet = z.infer<typeof ChangeSet>;
