/**
 * Runs one build the master started for us (protocol step 4–5): workspace, environment, the steps
 * in order with Jenkins' result rules, the console (masked, shipped with offsets), and the final
 * report. Never throws: an agent-side failure becomes `FATAL: …` in the console and FAILURE.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FINISH_LOG_BYTES, LogGap, type BuildSpec, type FinishRequest } from '../../shared/src/agent-protocol.ts';
import { Backoff, pause } from '../../shared/src/backoff.ts';
import { worseResult, type BuildResult } from '../../shared/src/build.ts';
import { stepKindNames } from '../../shared/src/step-kinds.ts';
import { archiveArtifacts, type ArtifactChannel, type ArtifactContext } from './artifacts.ts';
import { BuildCredentials } from './credential-bindings.ts';
import { LogShipper, type LogChannel, type LogShipperOptions } from './log-shipper.ts';
import { isRetryable, MasterError } from './master-client.ts';
import { readPropertiesFiles } from './properties-files.ts';
import { SecretMasker } from './secret-masker.ts';
import { AGENT_COOKIE_VAR, BUILD_COOKIE_VAR, killProcessesWithEnv, newestPid } from './stray-processes.ts';
import { stepRunner } from './steps/step-runners.ts';
import { runCheckout, type CheckoutChannel, scmMasks } from './scm/scm-step.ts';
import type { TriggerChannel } from './trigger-step.ts';
import { TriggeredBuilds } from './triggered-builds.ts';
import { writeIntoWorkspace } from './workspace-files.ts';
import type { Workspaces } from './workspaces.ts';

export interface BuildChannel extends LogChannel, ArtifactChannel, TriggerChannel, CheckoutChannel {
  finishBuild(buildId: number, finish: FinishRequest): Promise<void>;
  /** The bytes of a file parameter's file (a successful response with a body). */
  fetchFile(buildId: number, parameter: string): Promise<Response>;
  /** The bytes of one of the job's files. */
  fetchJobFile(buildId: number, path: string): Promise<Response>;
}

/** What a build needs from the agent around it. */
export interface BuildHost {
  agentName: string;
  /** Labels plus the agent's own name (NODE_LABELS). */
  nodeLabels(): string[];
  workdir: string;
  workspaces: Workspaces;
  /** The agent's environment without its secrets (see agentEnvironment). */
  baseEnv: Record<string, string>;
  agentCookie: string;
  /** Masked in every console besides the build's own masks (the agent's secret). */
  secrets: string[];
  /** After the agent's stop: stop retrying the master and give up the report. */
  giveUp?: AbortSignal;
  warn(message: string): void;
  killGraceMs?: number;
  shipper?: Pick<LogShipperOptions, 'batchMs' | 'batchBytes' | 'pingMs' | 'maxMemoryBytes'>;
}

export interface BuildRun {
  result: BuildResult;
  /** The master accepted the finish call. */
  reported: boolean;
}

/** `stopping`: the agent is shutting down; the build is aborted. */
export async function runBuild(channel: BuildChannel, spec: BuildSpec, executor: number, stopping: AbortSignal, host: BuildHost): Promise<BuildRun> {
  const abort = new AbortController();
  const onStop = () => abort.abort();
  stopping.addEventListener('abort', onStop, { once: true });
  if (stopping.aborted) abort.abort();
  const tmpRoot = join(host.workdir, 'tmp');
  const masker = new SecretMasker([...spec.masks, ...host.secrets, ...scmMasks(spec)]);
  const shipper = new LogShipper({
    ...host.shipper,
    channel,
    buildId: spec.buildId,
    startOffset: spec.logOffset,
    spillPath: join(tmpRoot, `console-${spec.buildId}-${randomUUID()}.spool`),
    onAbort: () => abort.abort(),
    onFailure: (err) => {
      host.warn(`build ${spec.buildId}: the master will not take its console (${err.message}); aborting it`);
      abort.abort();
    },
    giveUp: host.giveUp,
    warn: host.warn,
  });
  const output = (chunk: Buffer) => shipper.write(masker.push(chunk));
  const say = (text: string) => {
    shipper.write(masker.push(Buffer.from(text)));
    shipper.write(masker.flush());
  };
  const buildCookie = randomUUID();
  // Every process of this build starts after this: the cookie scan at the end reads only those.
  const bornAfter = newestPid();
  let result: BuildResult = 'SUCCESS';
  let lease: Awaited<ReturnType<Workspaces['acquire']>> | undefined;
  let artifacts: ArtifactContext | undefined;
  let env: Record<string, string> = {};
  let credentials: BuildCredentials | undefined;
  const properties: FinishRequest['properties'] = [];
  try {
    mkdirSync(tmpRoot, { recursive: true }); // one syscall when it exists; async, a thread-pool round trip per build
    lease = await host.workspaces.acquire(spec.jobName);
    say(`Running on ${host.agentName} in ${lease.path}\n`);
    credentials = new BuildCredentials(spec.credentials, workspaceTmp(lease.path));
    // The checkout comes first (Jenkins' order): file parameters and job files are written over it.
    const scm = spec.scm ? await runCheckout(channel, spec, host, lease.path, tmpRoot, say, output, abort.signal) : undefined;
    if (scm && !scm.ok) throw new CheckoutFailed();
    for (const file of spec.files) {
      say(`Copying file parameter ${file.parameter} (${file.fileName}, ${file.size} bytes) into the workspace\n`);
      await fetchFileInto(channel, spec.buildId, file, lease.path);
    }
    for (const file of spec.jobFiles) {
      say(`Copying job file ${file.path} (${file.size} bytes) into the workspace\n`);
      const res = await channel.fetchJobFile(spec.buildId, file.path);
      if (!res.body) throw new Error(`the master sent no bytes for ${file.path}`);
      await writeIntoWorkspace(lease.path, file.path, res.body as import('node:stream/web').ReadableStream, file);
    }
    env = { ...stepEnvironment(host, spec, lease.path, executor, buildCookie), ...scm?.env };
    // Bound for every step, as credentials-binding's wrapper does; released however the build ends.
    Object.assign(env, await credentials.bind(spec, { path: env.PATH, agentCookie: host.agentCookie, say }));
    artifacts = { channel, buildId: spec.buildId, workspace: lease.path, env, say, signal: abort.signal, giveUp: host.giveUp };
    const exports = new TriggeredBuilds();
    for (const [index, step] of spec.steps.entries()) {
      if (abort.signal.aborted) break;
      const runner = stepRunner(step.type);
      if (!runner) {
        say(`FATAL: this agent cannot run steps of type '${step.type}' (it knows ${stepKindNames().join(', ')}): run the master's Jonkkins version and step-kind modules here too\n`);
        result = worseResult(result, 'FAILURE');
        break;
      }
      const outcome = await runner.run(step, {
        ...artifacts,
        channel,
        index,
        resultSoFar: result,
        exports,
        tmpRoot,
        output,
        endOutput: () => shipper.write(masker.flush()),
        flow: shipper,
        killGraceMs: host.killGraceMs,
      });
      if (abort.signal.aborted) break; // the abort decides the result
      result = worseResult(result, outcome.mark);
      if (outcome.stop) break;
    }
  } catch (err) {
    if (!(err instanceof CheckoutFailed)) say(`FATAL: ${err instanceof Error ? err.message : String(err)}\n`);
    result = worseResult(result, 'FAILURE');
  }
  try {
    // Jenkins' ProcessTreeKiller: what escaped the steps' process groups dies with the build
    // (before archiving, so nothing changes the workspace while it is read).
    await killProcessesWithEnv(BUILD_COOKIE_VAR, buildCookie, host.killGraceMs ?? 5000, bornAfter).catch(() => []);
    // Secret files and the ssh-agent go with the steps (post-build actions need none of them).
    await credentials?.release();
    // Post-build actions run whatever the steps' result, but not for an aborted build: it stops now.
    for (const publisher of spec.archive) {
      if (!artifacts || abort.signal.aborted) break;
      result = await archiveArtifacts(artifacts, publisher, result);
    }
    // Post-build parameterized triggers' properties files go to the master with the result.
    for (const t of spec.triggerFiles) {
      if (!lease || abort.signal.aborted) break;
      properties.push({ publisher: t.publisher, texts: await readPropertiesFiles(t.propertiesFile, lease.path, env, say) });
    }
    if (abort.signal.aborted) {
      result = worseResult(result, 'ABORTED');
      say('Build was aborted\n');
    }
    lease?.release();
    shipper.write(masker.flush());
    return { result, reported: await finish(channel, shipper, spec.buildId, { result, properties }, host) };
  } finally {
    await credentials?.release(); // a second call does nothing: this one is for a throw above
    stopping.removeEventListener('abort', onStop);
    await shipper.close();
  }
}

/** Jenkins' `WorkspaceList.tempDir`: `<workspace>@tmp`, beside the workspace (archiving never sees it). */
export const workspaceTmp = (workspace: string) => `${workspace}@tmp`;
/** The checkout failed and said why: the build fails without steps. */
class CheckoutFailed extends Error {}

/** The agent's environment, then the build's, then what the agent adds (Jenkins' order). */
export function stepEnvironment(host: BuildHost, spec: BuildSpec, workspace: string, executor: number, buildCookie: string): Record<string, string> {
  return {
    ...host.baseEnv,
    ...spec.env,
    WORKSPACE: workspace,
    WORKSPACE_TMP: workspaceTmp(workspace),
    NODE_NAME: host.agentName,
    NODE_LABELS: host.nodeLabels().join(' '),
    EXECUTOR_NUMBER: String(executor),
    [AGENT_COOKIE_VAR]: host.agentCookie,
    [BUILD_COOKIE_VAR]: buildCookie,
  };
}

/**
 * The agent's own environment for its builds (Jenkins passes the agent's env on), minus what
 * carries its secret: JONKKINS_AGENT_SECRET, the master's JONKKINS_SECRET (a local agent inherits
 * the master's environment), and any variable whose value contains the secret.
 */
export function agentEnvironment(env: NodeJS.ProcessEnv, secret: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === 'JONKKINS_AGENT_SECRET' || name === 'JONKKINS_SECRET') continue;
    if (name === AGENT_COOKIE_VAR || name === BUILD_COOKIE_VAR) continue; // an agent started from a build
    if (secret.length >= 8 ? value.includes(secret) : value === secret) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Reports the result with the console's last bytes (up to FINISH_LOG_BYTES; more are flushed
 * first); a 409 log gap is resent. False if it never got through.
 */
async function finish(channel: BuildChannel, shipper: LogShipper, buildId: number, report: Omit<FinishRequest, 'logSize' | 'log'>, host: BuildHost): Promise<boolean> {
  const { result } = report;
  const backoff = new Backoff({ initialMs: 250, maxMs: 5000 });
  let withTail = true;
  for (let gaps = 0; ; ) {
    let tail: { offset: number; bytes: Buffer } | undefined;
    try {
      tail = withTail ? await shipper.takeTail(FINISH_LOG_BYTES) : undefined;
      if (!tail) await shipper.flush();
    } catch (err) {
      host.warn(`build ${buildId}: its console could not be completed (${(err as Error).message}); not reporting ${result}`);
      return false;
    }
    try {
      const log = tail && tail.bytes.length > 0 ? { offset: tail.offset, data: tail.bytes.toString('base64') } : undefined;
      await channel.finishBuild(buildId, { ...report, logSize: shipper.size, ...(log ? { log } : {}) });
      return true;
    } catch (err) {
      if (tail) shipper.resume();
      const gap = err instanceof MasterError && err.status === 409 ? LogGap.safeParse(err.body) : undefined;
      if (gap?.success && ++gaps <= 5) {
        shipper.rebase(gap.data.logSize);
        continue;
      }
      if (tail && err instanceof MasterError && err.status === 400) {
        withTail = false; // a master from before FinishRequest.log: the plain way
        continue;
      }
      if (!isRetryable(err) || host.giveUp?.aborted) {
        host.warn(`build ${buildId}: could not report ${result}: ${(err as Error).message}`);
        return false;
      }
      await pause(backoff.next(), host.giveUp);
    }
  }
}

/** Fetches a file parameter's file into `<workspace>/<parameter>`. */
async function fetchFileInto(channel: BuildChannel, buildId: number, file: BuildSpec['files'][number], workspace: string): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(file.parameter)) throw new Error(`refusing the file parameter name ${JSON.stringify(file.parameter)}`);
  const res = await channel.fetchFile(buildId, file.parameter);
  if (!res.body) throw new Error(`the master sent no bytes for ${file.parameter}`);
  await writeIntoWorkspace(workspace, file.parameter, res.body as import('node:stream/web').ReadableStream, file);
}
