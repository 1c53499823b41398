/**
 * The agent's side of artifacts (protocol: shared/src/agent-protocol.ts, step 4):
 * - archiveArtifacts publishers, after the steps, with Jenkins' ArtifactArchiver rules: find the
 *   workspace files (never through a symbolic link out of it) and upload each, checking that the
 *   master stored exactly the bytes read;
 * - the copyArtifacts step: another build's artifacts into the workspace, written as job files are
 *   (worker/src/workspace-files.ts refuses symbolic-link tricks).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ReadableStream } from 'node:stream/web';
import { MAX_ARTIFACT_BYTES, type Artifact, type BuildSpec, type CopyArtifactsSource, type CopySelector } from '../../shared/src/agent-protocol.ts';
import { retry } from '../../shared/src/backoff.ts';
import { isBetterOrEqual, worseResult, type BuildResult } from '../../shared/src/build.ts';
import { expandVariables } from '../../shared/src/expand-variables.ts';
import { workspacePathProblem } from '../../shared/src/workspace-path.ts';
import { antMatcher, findWorkspaceFiles, splitPatterns, type WorkspaceFile } from './ant-patterns.ts';
import { isRetryable, MasterError } from './master-client.ts';
import { writeIntoWorkspace } from './workspace-files.ts';

export interface ArtifactChannel {
  /** Uploads one file; `body` is called for each attempt (a 401 makes the client send it again). */
  uploadArtifact(buildId: number, path: string, body: () => ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<Artifact>;
  copyArtifactsSource(buildId: number, project: string, selector: CopySelector, signal?: AbortSignal): Promise<CopyArtifactsSource>;
  /** One artifact of another build, as a streaming response. */
  fetchCopyArtifact(buildId: number, project: string, number: number, path: string, signal?: AbortSignal): Promise<Response>;
}

export interface ArtifactContext {
  channel: ArtifactChannel;
  buildId: number;
  workspace: string;
  /** The steps' environment: patterns, project, filter and target are expanded from it. */
  env: Record<string, string>;
  say(text: string): void;
  /** The build's abort. */
  signal: AbortSignal;
  /** The agent is stopping: no more retries. */
  giveUp?: AbortSignal;
}

export type ArchiveSpec = BuildSpec['archive'][number];
export type CopyArtifactsSpec = Extract<BuildSpec['steps'][number], { type: 'copyArtifacts' }>;


const archiveFailed = (message: string) => `ERROR: Step ‘Archive the artifacts’ failed: ${message}\n`;
const NO_INCLUDES =
  'No artifacts are configured for archiving.\nYou probably forgot to set the file pattern, so please go back to the configuration and specify it.\n' +
  'If you really did mean to archive all the files in the workspace, please specify "**"';

/** A problem with a file on this side (never worth sending again). */
class LocalFileError extends Error {}

/** Runs one archiveArtifacts publisher on a build whose result so far is `result`; returns the new result. */
export async function archiveArtifacts(ctx: ArtifactContext, publisher: ArchiveSpec, result: BuildResult): Promise<BuildResult> {
  const artifacts = expandVariables(publisher.artifacts, ctx.env);
  const includes = splitPatterns(artifacts);
  if (includes.length === 0) {
    ctx.say(archiveFailed(NO_INCLUDES));
    return worseResult(result, 'FAILURE');
  }
  if (publisher.onlyIfSuccessful && !isBetterOrEqual(result, 'UNSTABLE')) {
    ctx.say('Skipped archiving because build is not successful\n');
    return result;
  }
  ctx.say('Archiving artifacts\n');
  try {
    const excludes = splitPatterns(expandVariables(publisher.excludes ?? '', ctx.env));
    const files = await findWorkspaceFiles(ctx.workspace, includes, excludes, (message) => ctx.say(`WARNING: ${message}\n`));
    if (files.length === 0) {
      if (!isBetterOrEqual(result, 'UNSTABLE')) return result; // it failed already: no complaint
      const message = `No artifacts found that match the file pattern "${artifacts}". Configuration error?`;
      if (publisher.allowEmptyArchive) {
        ctx.say(`${message}\n`);
        return result;
      }
      ctx.say(archiveFailed(message));
      return worseResult(result, 'FAILURE');
    }
    for (const file of files) {
      if (ctx.signal.aborted) return result; // the runner ends it ABORTED
      if (file.size > MAX_ARTIFACT_BYTES) throw new LocalFileError(`‘${file.path}’ is ${file.size} bytes; artifacts are limited to ${MAX_ARTIFACT_BYTES} bytes`);
      await uploadWithRetries(ctx, file);
    }
    return result;
  } catch (err) {
    if (ctx.signal.aborted) return result;
    ctx.say(archiveFailed(messageOf(err)));
    return worseResult(result, 'FAILURE');
  }
}

/** Five attempts at most: a file the master keeps refusing fails the archiving instead of holding the build. */
function uploadWithRetries(ctx: ArtifactContext, file: WorkspaceFile): Promise<void> {
  return retry(() => uploadOnce(ctx, file), {
    initialMs: 500,
    maxMs: 8000,
    signal: ctx.signal,
    retryable: (err, attempt) => !(err instanceof LocalFileError) && isRetryable(err) && attempt < 5 && !ctx.signal.aborted && !ctx.giveUp?.aborted,
  });
}

async function uploadOnce(ctx: ArtifactContext, file: WorkspaceFile): Promise<void> {
  let read: { size: number; sha256: string } | undefined;
  let local: LocalFileError | undefined;
  const body = () => {
    read = undefined;
    return ReadableStream.from(readFile(file, (r) => (read = r), (e) => (local = e)));
  };
  let stored: Artifact;
  try {
    stored = await ctx.channel.uploadArtifact(ctx.buildId, file.path, body, ctx.signal);
  } catch (err) {
    throw local ?? err; // fetch reports a failing body as a network error: say what failed
  }
  if (!read || stored.size !== read.size || stored.sha256 !== read.sha256) {
    throw new Error(`‘${file.path}’ arrived damaged at the master (${stored.size} bytes, sha256 ${stored.sha256}; sent ${read?.size} bytes, ${read?.sha256})`);
  }
}

/**
 * The bytes of a file found by findWorkspaceFiles: opened without following a final symbolic link
 * (nor blocking on a FIFO), and only if it is still the very file that was found.
 */
async function* readFile(file: WorkspaceFile, done: (read: { size: number; sha256: string }) => void, failed: (err: LocalFileError) => void): AsyncGenerator<Uint8Array> {
  let handle;
  try {
    handle = await open(file.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const s = await handle.stat();
    if (!s.isFile() || s.dev !== file.dev || s.ino !== file.ino) throw new LocalFileError(`‘${file.path}’ changed while it was being archived`);
  } catch (err) {
    await handle?.close();
    const local = err instanceof LocalFileError ? err : new LocalFileError(`cannot read ‘${file.path}’: ${(err as Error).message}`);
    failed(local);
    throw local;
  }
  try {
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(256 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      size += bytesRead;
      hash.update(chunk);
      yield chunk;
    }
    done({ size, sha256: hash.digest('hex') });
  } finally {
    await handle.close();
  }
}

const COPY_FAILED = "Build step 'Copy artifacts from another project' marked build as failure\n";

/**
 * Runs a copyArtifacts step; true when it succeeded. A failure is said in the console (the caller
 * fails the build); an abort ends it quietly (the caller sees the signal).
 */
export async function copyArtifacts(ctx: ArtifactContext, step: CopyArtifactsSpec): Promise<boolean> {
  const fail = (message: string) => {
    if (!ctx.signal.aborted) ctx.say(`ERROR: ${message}\n${COPY_FAILED}`);
    return false;
  };
  const project = expandVariables(step.project, ctx.env).trim();
  if (project === '') return fail('No project to copy artifacts from (the project name is empty)');
  const filterText = expandVariables(step.filter ?? '', ctx.env).trim();
  const filter = splitPatterns(filterText);
  let target = expandVariables(step.target ?? '', ctx.env).trim().replaceAll('\\', '/');
  while (target.startsWith('./')) target = target.slice(2);
  target = target.replace(/\/+$/, '');
  if (target === '.') target = '';
  const problem = target === '' ? null : workspacePathProblem(target);
  if (problem) return fail(`Invalid target directory "${step.target}": ${problem}`);
  try {
    const source = await ctx.channel.copyArtifactsSource(ctx.buildId, project, step.selector, ctx.signal);
    const matches = filter.length > 0 ? antMatcher(filter) : () => true;
    const chosen = source.artifacts.filter((a) => matches(a.path));
    if (chosen.length === 0) return fail(`Failed to copy artifacts from ${source.project} with filter: ${filterText || '**'}`);
    for (const artifact of chosen) {
      if (ctx.signal.aborted) return false;
      const res = await ctx.channel.fetchCopyArtifact(ctx.buildId, source.project, source.number, artifact.path, ctx.signal);
      if (!res.body) throw new Error(`the master sent no bytes for ${artifact.path}`);
      await writeIntoWorkspace(ctx.workspace, target === '' ? artifact.path : `${target}/${artifact.path}`, res.body as ReadableStream, artifact);
    }
    ctx.say(`Copied ${chosen.length} ${chosen.length === 1 ? 'artifact' : 'artifacts'} from "${source.project}" build number ${source.number}\n`);
    return true;
  } catch (err) {
    return fail(messageOf(err));
  }
}

/** The master's own words for a refusal (without the method and path), else the error's message. */
function messageOf(err: unknown): string {
  if (err instanceof MasterError) {
    const text = (err.body as { error?: { message?: unknown } } | undefined)?.error?.message;
    if (typeof text === 'string' && text) return text;
  }
  return err instanceof Error ? err.message : String(err);
}
