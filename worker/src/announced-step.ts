/**
 * Runs a shell step and announces its command line (`[ws] $ /bin/sh -xe /…/jonkkins123.sh`) before
 * any of its output, as Jenkins does. runShellStep names the script file only in its result, so
 * each step gets a private temp directory: the one file that appears in it is the script. The
 * line is written as soon as the file appears (inotify), and at the latest just before the step's
 * first output chunk (the file is written before the process starts) or when the step ends.
 */
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { interpreterFor } from './steps/shebang.ts';
import { commandLine, runShellStep, type ShellStepOptions, type ShellStepResult } from './steps/shell-step.ts';

export interface AnnouncedStepOptions extends Omit<ShellStepOptions, 'tmpDir'> {
  /** The agent's temp directory; the step's own directory is made (and removed) inside it. */
  tmpRoot: string;
  /** The command line, without a newline; called at most once, never after output. */
  announce(line: string): void;
}

export async function runAnnouncedStep(opts: AnnouncedStepOptions): Promise<ShellStepResult> {
  const dir = await mkdtemp(join(opts.tmpRoot, 'step-'));
  let interpreter: string[] | undefined;
  try {
    interpreter = interpreterFor(opts.script);
  } catch {
    interpreter = undefined; // runShellStep reports the bad #! line
  }
  let announced = false;
  const announce = (argv: string[]) => {
    if (announced) return;
    announced = true;
    opts.announce(commandLine(opts.cwd, argv));
  };
  const fromDir = () => {
    if (announced || !interpreter) return;
    try {
      const file = readdirSync(dir).find((name) => name.endsWith('.sh'));
      if (file) announce([...interpreter, join(dir, file)]);
    } catch {
      // the directory is gone: the step is over and its result will announce
    }
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, fromDir);
    watcher.on('error', () => {});
  } catch {
    watcher = undefined; // no inotify: the first output chunk or the end announces
  }
  try {
    const result = await runShellStep({
      ...opts,
      tmpDir: dir,
      onOutput: (chunk) => {
        fromDir();
        opts.onOutput(chunk);
      },
    });
    // A script file was written (argv = interpreter + file): the step was launched, or tried to be.
    if (interpreter && result.argv.length === interpreter.length + 1) announce(result.argv);
    return result;
  } finally {
    watcher?.close();
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
