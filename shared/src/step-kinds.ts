/**
 * The registry of build-step kinds. A kind is one zod schema of its job-document form, whose
 * `type` literal names it; the job document's steps (job.ts), the BuildSpec's steps
 * (agent-protocol.ts) and the OpenAPI document are all read from here, so a new kind of step is
 * its schema registered here plus its runner on the agent (worker/src/steps/step-runners.ts) —
 * nothing else. A kind not built in comes from a step-kind module (JONKKINS_STEP_MODULES, loaded
 * at start-up by bin/cli.ts): tests add their own that way.
 */
import { z } from 'zod';
import { CopyArtifactsStep } from './steps/copy-artifacts-step.ts';
import { DockerBuildStep } from './steps/docker-build-step.ts';
import { ShellStep } from './steps/shell-step.ts';
import { TriggerBuildsStep } from './steps/trigger-builds-step.ts';

/** A step kind's schema: a strict object whose `type` is a literal. */
export type StepSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

const kinds = new Map<string, StepSchema>();

/** Adds a kind of step; its `type` must be new. */
export function registerStepKind(schema: StepSchema): void {
  const type = schema.shape.type.value;
  if (kinds.has(type)) throw new Error(`a step kind '${type}' is registered already`);
  kinds.set(type, schema);
}

/** The registered kinds' names, in the order they were registered. */
export function stepKindNames(): string[] {
  return [...kinds.keys()];
}

/** The schema of one kind, or undefined. */
export function stepKind(type: string): StepSchema | undefined {
  return kinds.get(type);
}

for (const schema of [ShellStep, CopyArtifactsStep, TriggerBuildsStep, DockerBuildStep]) registerStepKind(schema);

/** The built-in kinds, which the master's own code knows by name (relations, trigger steps). */
export type BuiltInStep = ShellStep | CopyArtifactsStep | TriggerBuildsStep | DockerBuildStep;
type BuiltInStepInput = z.input<typeof ShellStep> | z.input<typeof CopyArtifactsStep> | z.input<typeof TriggerBuildsStep> | z.input<typeof DockerBuildStep>;
/**
 * A step as code sees it: typed as the built-in kinds, which code may pick out by `type`; a step
 * of a kind from a step-kind module is none of them, so nothing may assume the list is complete.
 */
export type BuildStep = BuiltInStep;

/**
 * One step, validated by the schema of the kind its `type` names, as looked up when it is parsed
 * (so a kind registered after this module loaded counts). Errors carry the kind's own paths
 * (`steps.0.script`); an unknown type is an error on `type` that lists the known ones.
 */
export const BuildStep = z.looseObject({ type: z.string().max(100) }).transform((step, ctx) => {
  const schema = kinds.get(step.type);
  if (!schema) {
    ctx.issues.push({ code: 'custom', path: ['type'], input: step.type, message: `unknown step type '${step.type}' (known: ${stepKindNames().join(', ')})` });
    return z.NEVER;
  }
  const parsed = schema.safeParse(step);
  if (parsed.success) return parsed.data as BuildStep;
  // The kind's own issues, at their own paths (the array and object around prefix theirs).
  for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: undefined } as never);
  return z.NEVER;
}) as unknown as z.ZodType<BuildStep, BuiltInStepInput>;

/** BuildStep as JSON Schema (one entry per registered kind), for the OpenAPI document: zod cannot see through the lookup. */
export function buildStepJsonSchema(io: 'input' | 'output'): Record<string, unknown> {
  return { oneOf: [...kinds.values()].map((schema) => z.toJSONSchema(schema, { io, unrepresentable: 'any' })) };
}
