/**
 * The job's git checkout (Jenkins' git plugin), the first thing a build with scm does: fetch into
 * the workspace's clone (a fresh `git init` the first time), choose the revision the branch
 * specifiers name, check it out, and read the commits since that branch's previous build. The
 * console shows the plugin's familiar lines; the credential reaches git only through
 * git-credentials.ts. The workspace's .git/config is written anew each time, so nothing a build
 * step left in it (url.insteadOf, include, credential helpers, hooks, fsmonitor) steers the next checkout.
 */
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialSecret } from '../../../shared/src/credentials.ts';
import { expandVariables } from '../../../shared/src/expand-variables.ts';
import { BranchSpec, CommitId, type CheckoutReport, type GitScm, type ScmHistory, type ScmRevision } from '../../../shared/src/scm.ts';
import { chooseRevision, matchingRefs, REMOTE, type Chosen, type FetchedRef } from './branch-spec.ts';
import { readChangeLog } from './change-log.ts';
import { git, gitEnvironment, GitError, gitLine, type GitContext } from './git-command.ts';
import { prepareCredentials, type SshHostKeys } from './git-credentials.ts';

export interface CheckoutRequest {
  scm: GitScm;
  /** The scm's credential (BuildSpec.credentials[scm.credentialsId]). */
  credential: CredentialSecret | undefined;
  history: ScmHistory;
  /** The commit the build's cause named (BuildSpec.scmRevision): built instead of the branch's head. */
  revision?: ScmRevision | null;
  workspace: string;
  /** The build's private temporary directory (not in the workspace). */
  tmpDir: string;
  /** The build's variables, for `$VAR` in branch specifiers. */
  env: Record<string, string>;
  path: string;
  hostKeys: SshHostKeys;
  say(text: string): void;
  output(chunk: Buffer): void;
  signal: AbortSignal;
}

export interface CheckoutResult {
  report: CheckoutReport;
  /** Variables for the steps (GIT_COMMIT, GIT_BRANCH…). */
  env: Record<string, string>;
}

/** Refused, not a crash: the console says why and the build fails. */
export class CheckoutError extends Error {}

const DEFAULT_REFSPEC = `+refs/heads/*:refs/remotes/${REMOTE}/*`;

export async function checkout(req: CheckoutRequest): Promise<CheckoutResult> {
  const { scm } = req;
  const home = join(req.tmpDir, 'git-home');
  await mkdir(home, { recursive: true });
  await mkdir(req.workspace, { recursive: true });
  const creds = await prepareCredentials(scm.url, scm.credentialsId, req.credential, req.hostKeys, req.tmpDir).catch((err: Error) => {
    throw new CheckoutError(err.message);
  });
  const plain = gitEnvironment(req.path, home, req.workspace);
  const ctx: GitContext = { workspace: req.workspace, env: { ...plain, ...creds.env }, say: req.say, output: req.output, signal: req.signal, scratch: req.tmpDir };
  try {
    const specs = scm.branches.map((b) => expandBranch(b, req.env));
    for (const line of creds.lines.slice(0, 1)) req.say(line);
    const reused = await isClone(ctx);
    if (reused) req.say('Fetching changes from the remote Git repository\n');
    else {
      // Whatever stands at .git (a file pointing elsewhere, a broken repository) is not ours to reuse.
      await rm(join(req.workspace, '.git'), { recursive: true, force: true });
      req.say('Cloning the remote Git repository\n');
      req.say(`Cloning repository ${shownUrl(scm.url)}\n`);
      await git(ctx, ['init', '--quiet', '--', req.workspace]);
    }
    await writeConfig(ctx, scm);
    req.say(`Fetching upstream changes from ${shownUrl(scm.url)}\n`);
    for (const line of creds.lines.slice(1)) req.say(line);
    const fetchArgs = ['fetch', '--tags', '--force', '--progress', '--no-recurse-submodules', ...(scm.depth ? [`--depth=${scm.depth}`] : []), '--', REMOTE, scm.refspec ?? DEFAULT_REFSPEC];
    await git(ctx, fetchArgs).catch((err: Error) => {
      throw new CheckoutError(`Error fetching remote repo '${REMOTE}': ${err.message}`);
    });
    const refs = await fetchedRefs(ctx);
    const lastBuilt = new Map(req.history.map((h) => [h.branch, h]));
    const resolve = (sha: string) => gitLine(ctx, ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], { show: false, allowFailure: true });
    const chosen = req.revision
      ? await namedRevision(ctx, req.revision, specs, refs, resolve)
      : await chooseRevision(specs, refs, (b) => lastBuilt.get(b)?.commit, resolve);
    if (!chosen) throw new CheckoutError(`Couldn't find any revision to build. Verify the repository and branch configuration for this job (${specs.join(', ')}).`);
    req.say(`Checking out Revision ${chosen.commit} (${chosen.branch})\n`);
    if (scm.clean) await git(ctx, ['clean', '-fdx']);
    const localBranch = scm.localBranch === '**' ? chosen.branch.replace(/^origin\/|^refs\/tags\//, '') : scm.localBranch;
    if (localBranch !== undefined) {
      if ((await git(ctx, ['check-ref-format', '--branch', localBranch], { show: false, capture: true, allowFailure: true })).code !== 0 || localBranch.startsWith('-')) {
        throw new CheckoutError(`'${localBranch}' is not a valid local branch name`);
      }
      await git(ctx, ['checkout', '-f', '-B', localBranch, chosen.commit, '--']);
    } else await git(ctx, ['checkout', '-f', chosen.commit, '--']);
    if (scm.submodules) {
      // Without the job's credential (Jenkins' default: "Use credentials from default remote of parent" off):
      // .gitmodules comes from the repository and may name any host.
      const noCreds = { ...plain, ...(creds.env.GIT_SSH_COMMAND ? { GIT_SSH_COMMAND: creds.env.GIT_SSH_COMMAND.replace(/ -o IdentitiesOnly.*$/, ' -o BatchMode=yes') } : {}) };
      await git(ctx, ['submodule', 'sync', '--recursive'], { env: noCreds });
      await git(ctx, ['submodule', 'update', '--init', '--recursive', '--force'], { env: noCreds });
    }
    const previous = lastBuilt.get(chosen.branch);
    const changes = await changesSince(ctx, previous?.commit, chosen.commit, req.say);
    // The newest change is the commit itself: its message is known without asking git again.
    const newest = changes.changes[0]?.commitId === chosen.commit ? changes.changes[0].message.split('\n')[0] : undefined;
    const subject = newest ?? (await gitLine(ctx, ['log', '-1', '--format=%s', chosen.commit, '--'], { show: false })) ?? '';
    req.say(`Commit message: "${subject}"\n`);
    const env: Record<string, string> = { GIT_COMMIT: chosen.commit, GIT_BRANCH: chosen.branch, GIT_URL: scm.url };
    if (previous) env.GIT_PREVIOUS_COMMIT = previous.commit;
    if (previous?.successfulCommit) env.GIT_PREVIOUS_SUCCESSFUL_COMMIT = previous.successfulCommit;
    if (localBranch !== undefined) env.GIT_LOCAL_BRANCH = localBranch;
    const id = scm.userIdentity;
    if (id?.name) {
      env.GIT_AUTHOR_NAME = env.GIT_COMMITTER_NAME = id.name;
      await git(ctx, ['config', '--local', 'user.name', id.name], { show: false });
    }
    if (id?.email) {
      env.GIT_AUTHOR_EMAIL = env.GIT_COMMITTER_EMAIL = id.email;
      await git(ctx, ['config', '--local', 'user.email', id.email], { show: false });
    }
    return { report: { commit: chosen.commit, branch: chosen.branch, url: scm.url, changes: changes.changes, moreChanges: changes.more }, env };
  } catch (err) {
    if (err instanceof CheckoutError || req.signal.aborted) throw err;
    throw new CheckoutError(err instanceof GitError ? err.message : `checkout failed: ${(err as Error).message}`);
  } finally {
    await creds.dispose();
  }
}

/**
 * The commit a push, a poll or a notifyCommit named, though its branch may have moved on since (as
 * the git plugin's RevisionParameterAction): fetched by id if the branches' fetch did not bring it
 * (a force-push). Its branch is the ref it was pushed to, else a fetched branch the job builds that
 * points at it, else `detached`.
 */
async function namedRevision(
  ctx: GitContext,
  revision: ScmRevision,
  specs: readonly string[],
  refs: readonly FetchedRef[],
  resolve: (sha: string) => Promise<string | null>,
): Promise<Chosen> {
  let commit = await resolve(revision.commit);
  if (commit === null && CommitId.safeParse(revision.commit).success) {
    await git(ctx, ['fetch', '--no-tags', '--no-recurse-submodules', '--', REMOTE, revision.commit], { allowFailure: true });
    commit = await resolve(revision.commit);
  }
  if (commit === null) throw new CheckoutError(`Couldn't find the revision ${revision.commit} that started this build in the repository: was it pushed, and not force-pushed away since?`);
  const pushedTo = revision.ref?.startsWith('refs/heads/') ? `${REMOTE}/${revision.ref.slice('refs/heads/'.length)}` : revision.ref?.startsWith('refs/tags/') ? revision.ref : null;
  const onBranch = specs.flatMap((spec) => matchingRefs(spec, refs)).find((r) => r.commit === commit);
  return { commit, branch: pushedTo ?? onBranch?.name ?? 'detached' };
}

/**
 * The URL as the console shows it: an http(s) URL's user part may be a token
 * (`https://<token>@host/…`), so it is never printed. git's own output anonymizes URLs itself.
 */
export function shownUrl(url: string): string {
  return url.replace(/^(https?:\/\/)[^/@]*@/, '$1****@');
}

/** `$VAR` in a specifier takes the build's value; the result must still be a specifier. */
function expandBranch(spec: string, env: Record<string, string>): string {
  const expanded = expandVariables(spec, env).trim();
  if (!BranchSpec.safeParse(expanded).success) throw new CheckoutError(`the branch specifier ${JSON.stringify(spec)} expands to ${JSON.stringify(expanded)}, which is not a branch specifier`);
  return expanded;
}

/**
 * The workspace holds a clone already: .git is a directory (not a symlink or a file pointing
 * elsewhere) with a HEAD and objects. Read from the disk: a git process less on every build.
 */
async function isClone(ctx: GitContext): Promise<boolean> {
  const dir = join(ctx.workspace, '.git');
  const [dotGit, head, objects] = await Promise.all(['', 'HEAD', 'objects'].map((p) => lstat(join(dir, p)).catch(() => null)));
  return Boolean(dotGit?.isDirectory() && head?.isFile() && objects?.isDirectory());
}

/**
 * .git/config, written anew: the repository format (and object format) kept, the remote as the
 * job says. Whatever else a build step wrote there is gone.
 */
async function writeConfig(ctx: GitContext, scm: GitScm): Promise<void> {
  const file = join(ctx.workspace, '.git', 'config');
  const old = await readFile(file, 'utf8').catch(() => '');
  const version = /^\s*repositoryformatversion\s*=\s*(\d)\s*$/im.exec(old)?.[1] ?? '0';
  const objectFormat = /^\s*objectformat\s*=\s*(sha1|sha256)\s*$/im.exec(old)?.[1];
  const core = `[core]\n\trepositoryformatversion = ${version}\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n`;
  const extensions = objectFormat && version === '1' ? `[extensions]\n\tobjectformat = ${objectFormat}\n` : '';
  const remote = `[remote "${REMOTE}"]\n\turl = ${configValue(scm.url)}\n\tfetch = ${configValue(scm.refspec ?? DEFAULT_REFSPEC)}\n`;
  await writeFile(file, `${core}${extensions}${remote}`, { mode: 0o644 });
}

/** A value in git's config syntax: as it is when plain, else quoted (the schema let no line break or NUL through). */
export function configValue(value: string): string {
  return /^[A-Za-z0-9._~:/?=&%+@*,!$()'[\]{}^|<>-]+$/.test(value) ? value : `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The remote's branches (as origin/x) and tags (peeled to their commits) after the fetch. */
async function fetchedRefs(ctx: GitContext): Promise<FetchedRef[]> {
  const { stdout } = await git(ctx, ['for-each-ref', '--format=%(objectname) %(*objectname) %(refname)', `refs/remotes/${REMOTE}/`, 'refs/tags/'], { capture: true, show: false });
  const refs: FetchedRef[] = [];
  for (const line of stdout.toString('utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]*) (refs\/\S+)$/.exec(line);
    if (!m) continue;
    const [, object, peeled, ref] = m;
    if (ref === `refs/remotes/${REMOTE}/HEAD`) continue;
    refs.push({ name: ref!.startsWith('refs/remotes/') ? ref!.slice('refs/remotes/'.length) : ref!, commit: peeled || object! });
  }
  return refs;
}

async function changesSince(ctx: GitContext, previous: string | undefined, commit: string, say: (s: string) => void) {
  if (!previous) {
    say('First time build. Skipping changelog.\n');
    return { changes: [], more: 0 };
  }
  if (previous === commit) return { changes: [], more: 0 };
  say(` > git log ${commit} ^${previous} # timeout=10\n`);
  const log = await readChangeLog(ctx, previous, commit);
  if (log) return log;
  say(`Could not determine the changes since ${previous}: it is not in this clone (a shallow fetch, or a rewritten history)\n`);
  return { changes: [], more: 0 };
}
