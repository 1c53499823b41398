/**
 * Runs a shell step and announces its command line (`[ws] $ /bin/sh -xe /…/jonkkins123.sh`) before
 * any of its output, as Jenkins does: once the script file is written, just before it runs (also
 * when it then cannot be run: the error follows the line).
 */
import { commandLine, runShellStep, type ShellStepOptions, type ShellStepResult } from './steps/shell-step.ts';

export interface AnnouncedStepOptions extends Omit<ShellStepOptions, 'tmpDir' | 'onCommand'> {
  /** The agent's temp directory: the script file goes there (Jenkins: not the workspace). */
  tmpRoot: string;
  /** The command line, without a newline; called at most once, never after output. */
  announce(line: string): void;
}

export function runAnnouncedStep(opts: AnnouncedStepOptions): Promise<ShellStepResult> {
  return runShellStep({ ...opts, tmpDir: opts.tmpRoot, onCommand: (argv) => opts.announce(commandLine(opts.cwd, argv)) });
}
