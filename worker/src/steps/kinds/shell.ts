/** "Execute shell" (shared/src/steps/shell-step.ts): Jenkins' result rules for the script's exit code. */
import type { ShellStep } from '../../../../shared/src/steps/shell-step.ts';
import { runAnnouncedStep } from '../../announced-step.ts';
import type { StepRunner } from '../step-runners.ts';

const STEP_FAILED = "Build step 'Execute shell' marked build as failure\n";
const LEAKED = 'Process leaked file descriptors. See https://www.jenkins.io/redirect/troubleshooting/process-leaked-file-descriptors for more information\n';

export const shellRunner: StepRunner<ShellStep> = {
  type: 'shell',
  async run(step, ctx) {
    const r = await runAnnouncedStep({
      script: step.script,
      cwd: ctx.workspace,
      env: ctx.env,
      tmpRoot: ctx.tmpRoot,
      signal: ctx.signal,
      killGraceMs: ctx.killGraceMs,
      onOutput: (chunk) => ctx.output(chunk),
      flow: ctx.flow,
      announce: (line) => ctx.say(`${line}\n`),
    });
    ctx.endOutput();
    if (r.leakedDescriptors && !r.aborted) ctx.say(LEAKED); // an abort stops reading at once: no leak
    if (r.aborted) return { mark: 'SUCCESS', stop: true };
    if (r.launchError !== undefined) {
      ctx.say(`command execution failed: ${r.launchError}\n${STEP_FAILED}`);
      return { mark: 'FAILURE', stop: true };
    }
    if (r.exitCode === 0) return { mark: 'SUCCESS', stop: false };
    if (step.unstableReturn !== undefined && r.exitCode === step.unstableReturn) return { mark: 'UNSTABLE', stop: false };
    ctx.say(STEP_FAILED);
    return { mark: 'FAILURE', stop: true };
  },
};
