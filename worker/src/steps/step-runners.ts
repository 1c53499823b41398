/**
 * The agent's registry of step runners: one per kind of step (shared/src/step-kinds.ts), looked
 * up by the step's `type`. A runner runs one step of a build and says what it did to the result;
 * the build runner (build-runner.ts) only walks the steps. A kind from a step-kind module
 * (JONKKINS_STEP_MODULES) brings its runner along.
 */
import type { BuildSpec } from '../../../shared/src/agent-protocol.ts';
import type { BuildResult } from '../../../shared/src/build.ts';
import type { ContainerCli } from '../container-cli.ts';
import type { ArtifactChannel } from '../artifacts.ts';
import type { TriggerChannel } from '../trigger-step.ts';
import type { TriggeredBuilds } from '../triggered-builds.ts';
import { copyArtifactsRunner } from './kinds/copy-artifacts.ts';
import { dockerBuildRunner, type DockerImageChannel } from './kinds/docker-build.ts';
import { shellRunner } from './kinds/shell.ts';
import { triggerBuildsRunner } from './kinds/trigger-builds.ts';

/** What a runner may use: the build's workspace, environment, console and master. */
export interface StepContext {
  channel: ArtifactChannel & TriggerChannel & DockerImageChannel;
  buildId: number;
  /** The step's index in spec.steps. */
  index: number;
  /** The build's result before this step (SUCCESS or UNSTABLE: a failed step ends the steps). */
  resultSoFar: BuildResult;
  workspace: string;
  /** The steps' environment; a step may add to it for the steps after it (TRIGGERED_*). */
  env: Record<string, string>;
  exports: TriggeredBuilds;
  /** The agent's temporary directory (script files go there, not into the workspace). */
  tmpRoot: string;
  /** A line (or lines) of the agent's own in the console, masked. */
  say(text: string): void;
  /** Bytes of the step's own output, masked; `endOutput` when it ends (a secret may straddle chunks). */
  output(chunk: Buffer): void;
  endOutput(): void;
  /** Full while the console waits for the master: a step's output should pause (shell-step.ts). */
  flow: { readonly full: boolean; whenDrained(resume: () => void): void };
  /** The build's abort: a runner stops at once and its outcome is ignored. */
  signal: AbortSignal;
  /** The agent is stopping: no more retries. */
  giveUp?: AbortSignal;
  killGraceMs?: number;
  /** The secrets of the credentials the build's job uses, by id (BuildSpec.credentials). */
  credentials: BuildSpec['credentials'];
  /** The container CLI of dockerBuild steps; null where none works here. */
  containerCli: ContainerCli | null;
}

/** `mark`: how the step leaves the build's result (worse only); `stop`: the later steps are skipped. */
export interface StepOutcome {
  mark: BuildResult;
  stop: boolean;
}

export interface StepRunner<S extends { type: string } = { type: string }> {
  type: S['type'];
  run(step: S, ctx: StepContext): Promise<StepOutcome>;
}

const runners = new Map<string, StepRunner>();

/** Adds the runner of a kind of step; its `type` must be new. */
export function registerStepRunner<S extends { type: string }>(runner: StepRunner<S>): void {
  if (runners.has(runner.type)) throw new Error(`a step runner for '${runner.type}' is registered already`);
  runners.set(runner.type, runner as unknown as StepRunner);
}

export function stepRunner(type: string): StepRunner | undefined {
  return runners.get(type);
}

registerStepRunner(shellRunner);
registerStepRunner(copyArtifactsRunner);
registerStepRunner(triggerBuildsRunner);
registerStepRunner(dockerBuildRunner);
