/**
 * Workspace allocation on this agent (Jenkins' WorkspaceList): a build of job `x` gets
 * `<root>/x`, or `<root>/x@2`, `x@3`… while the plainer ones are in use by other running builds of
 * the same job here. A workspace is kept after the build (the next build reuses it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkspaceLease {
  readonly path: string;
  release(): void;
}

export class Workspaces {
  readonly #root: string;
  readonly #inUse = new Set<string>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Reserves and creates the workspace of a build of `jobName`. */
  async acquire(jobName: string): Promise<WorkspaceLease> {
    if (!isSafeName(jobName)) throw new Error(`refusing the job name ${JSON.stringify(jobName)} as a workspace directory`);
    const base = join(this.#root, jobName);
    let path = base;
    for (let i = 2; this.#inUse.has(path); i++) path = `${base}@${i}`;
    this.#inUse.add(path); // reserved before the first await: concurrent builds cannot get it too
    try {
      mkdirSync(path, { recursive: true }); // usually there already: one syscall, cheaper than a thread-pool round trip
    } catch (err) {
      this.#inUse.delete(path);
      throw err;
    }
    let released = false;
    return {
      path,
      release: () => {
        if (released) return;
        released = true;
        this.#inUse.delete(path);
      },
    };
  }

  /** The workspaces in use now. */
  get inUse(): string[] {
    return [...this.#inUse];
  }
}

/** One path component, as the master's JobName rule allows (checked again: the master is remote). */
function isSafeName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}
