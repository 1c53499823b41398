/**
 * The checkout as a part of a build (build-runner.ts): runs git-checkout.ts with the build's
 * credential, history and a private temporary directory, reports the result to the master
 * (AGENT_PATHS.checkout, resent while the master cannot be reached), and answers the variables
 * for the steps. A failed checkout is a console message and a FAILURE, never a crash.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildSpec } from '../../../shared/src/agent-protocol.ts';
import { Backoff, pause } from '../../../shared/src/backoff.ts';
import type { CheckoutReport } from '../../../shared/src/scm.ts';
import { isRetryable } from '../master-client.ts';
import { checkout, CheckoutError } from './git-checkout.ts';
import { credentialMasks } from '../../../shared/src/credential-masks.ts';
import { hostKeysFromEnv } from './git-credentials.ts';

export interface CheckoutChannel {
  reportCheckout(buildId: number, report: CheckoutReport, signal?: AbortSignal): Promise<void>;
}

interface CheckoutHost {
  baseEnv: Record<string, string>;
  workdir: string;
  warn(message: string): void;
}

/** The scm credential's secrets, masked from the build's first byte (the master's masks have them too). */
export function scmMasks(spec: BuildSpec): string[] {
  const secret = spec.scm?.credentialsId ? spec.credentials[spec.scm.credentialsId] : undefined;
  return secret ? credentialMasks(secret) : [];
}

export async function runCheckout(
  channel: CheckoutChannel,
  spec: BuildSpec,
  host: CheckoutHost,
  workspace: string,
  tmpRoot: string,
  say: (text: string) => void,
  output: (chunk: Buffer) => void,
  signal: AbortSignal,
): Promise<{ ok: true; env: Record<string, string> } | { ok: false }> {
  const scm = spec.scm!;
  const credential = scm.credentialsId ? spec.credentials[scm.credentialsId] : undefined;
  if (scm.credentialsId && !credential) {
    say(`ERROR: the credential '${scm.credentialsId}' of this job's repository was not given to this build (does it exist, and may this job use it?)\n`);
    return { ok: false };
  }
  const tmpDir = join(tmpRoot, `scm-${spec.buildId}-${randomUUID()}`);
  try {
    const done = await checkout({
      scm,
      credential,
      history: spec.scmHistory,
      revision: spec.scmRevision,
      workspace,
      tmpDir,
      env: spec.env,
      path: host.baseEnv.PATH ?? process.env.PATH ?? '/usr/bin:/bin',
      hostKeys: hostKeysFromEnv(host.baseEnv, host.workdir),
      say,
      output,
      signal,
    });
    await report(channel, spec.buildId, done.report, signal, host);
    return { ok: true, env: done.env };
  } catch (err) {
    if (signal.aborted) return { ok: false };
    say(`ERROR: ${err instanceof CheckoutError ? err.message : `the checkout failed: ${(err as Error).message}`}\n`);
    return { ok: false };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function report(channel: CheckoutChannel, buildId: number, r: CheckoutReport, signal: AbortSignal, host: CheckoutHost): Promise<void> {
  const backoff = new Backoff({ initialMs: 250, maxMs: 5000 });
  for (;;) {
    try {
      return await channel.reportCheckout(buildId, r, signal);
    } catch (err) {
      if (signal.aborted || !isRetryable(err)) {
        host.warn(`build ${buildId}: the master did not take its checkout report: ${(err as Error).message}`);
        throw new CheckoutError(`the master refused the checkout report: ${(err as Error).message}`);
      }
      await pause(backoff.next(), signal);
    }
  }
}
