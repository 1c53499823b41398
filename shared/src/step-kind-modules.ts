/**
 * Step-kind modules: kinds of step that are not built in, named by JONKKINS_STEP_MODULES (file
 * paths, comma-separated) and loaded at start-up, by the master and by agents alike. A module
 * exports `schema` (registered in step-kinds.ts, so the master validates jobs with it and agents
 * read specs with it) and `runner` (the agent's side, worker/src/steps/step-runners.ts).
 * The test tree adds its test-only kinds this way.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerStepKind, type StepSchema } from './step-kinds.ts';

export interface StepKindModule {
  schema: StepSchema;
  /** The agent's runner (worker/src/steps/step-runners.ts StepRunner); unused by the master. */
  runner?: unknown;
}

/** Imports the modules of `list` (JONKKINS_STEP_MODULES) and registers their schemas; answers the modules. */
export async function loadStepKindModules(list: string | undefined): Promise<StepKindModule[]> {
  const modules: StepKindModule[] = [];
  for (const path of (list ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const mod = (await import(pathToFileURL(resolve(path)).href)) as Partial<StepKindModule>;
    if (!mod.schema?.shape?.type) throw new Error(`step-kind module ${path} exports no step schema named 'schema'`);
    registerStepKind(mod.schema);
    modules.push(mod as StepKindModule);
  }
  return modules;
}
