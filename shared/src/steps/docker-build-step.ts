/**
 * "Docker build and publish" (Jenkins' docker-build-publish plugin): builds an image from a
 * workspace directory with the agent's container CLI (docker, else podman), tags it, and pushes
 * the tags to a registry, logged in with a usernamePassword credential. The pushed image's digest
 * is recorded on the build and given to later steps as DOCKER_IMAGE_DIGEST.
 */
import { z } from 'zod';
import { CredentialId } from '../credentials.ts';
import { workspacePathProblem } from '../workspace-path.ts';

/**
 * A repository as the distribution spec names it (`team/app`), optionally behind a registry host
 * (`registry.example.com:5000/team/app`); lowercase, so no field can start with `-` and become an option.
 */
export const DOCKER_REPOSITORY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** A tag once its variables are expanded (the distribution spec's rule). */
export const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A tag as written: a tag, or one with `$VAR` / `${VAR}` in it (checked again once expanded). */
const TAG_TEMPLATE = /^(?:[A-Za-z0-9_]|\$)[A-Za-z0-9_.${}-]{0,255}$/;
/** A manifest digest as registries answer it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * A string of at most `max` characters matching `pattern`; the pattern is only tried on a string
 * within the bound (zod runs every check, and a regular expression over a 1 MB body costs).
 */
function bounded(max: number, pattern: RegExp, message: string) {
  return z.string().superRefine((value, ctx) => {
    if (value.length > max) ctx.addIssue({ code: 'too_big', origin: 'string', maximum: max, inclusive: true, input: value, message: `must be at most ${max} characters` });
    else if (!pattern.test(value)) ctx.addIssue({ code: 'custom', input: value, message });
  });
}

/** A workspace-relative directory or file; `.` is the workspace itself. */
const WorkspaceRelative = z
  .string()
  .max(1024)
  .superRefine((p, ctx) => {
    const problem = p === '.' ? null : workspacePathProblem(p.replace(/^\.\//, ''));
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const DockerRegistry = z.strictObject({
  /** `http://host:port` or `https://host:port` (no path); absent: the repository names its registry (Docker Hub when it names none). */
  url: bounded(300, /^https?:\/\/[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?\/?$/, 'must be http(s)://host[:port], without a path').optional(),
  /** A usernamePassword credential to log in with; absent: push without logging in. */
  credentialsId: CredentialId.optional(),
  /** Talk to the registry without TLS verification (an `http://` url implies it). */
  insecure: z.boolean().optional(),
});
export type DockerRegistry = z.infer<typeof DockerRegistry>;

export const DockerBuildStep = z.strictObject({
  type: z.literal('dockerBuild'),
  /** The build context: a workspace-relative directory. */
  context: WorkspaceRelative.default('.'),
  /** The Dockerfile, workspace-relative; absent: `Dockerfile` in the context. */
  dockerfile: WorkspaceRelative.optional(),
  /** The image's repository, e.g. `team/app`; a registry url's host goes in front of it. */
  repository: bounded(255, DOCKER_REPOSITORY, 'must be a lowercase repository name such as team/app (optionally host[:port]/team/app)'),
  /** Tags, `$VAR` / `${VAR}` expanded from the build's environment (e.g. $BUILD_NUMBER). */
  tags: z
    .array(bounded(256, TAG_TEMPLATE, 'must be a tag (letters, digits, "_", ".", "-"; not starting with "." or "-"), $VAR allowed'))
    .min(1, 'give at least one tag')
    .max(20)
    .default(['latest']),
  /** `--build-arg NAME=value`; values `$VAR`-expanded. They show in the image's history: no secrets here. */
  buildArgs: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a variable name'), z.string().max(10_000))
    .refine((r) => Object.keys(r).length <= 100, 'at most 100 build arguments')
    .optional(),
  /** Build without the layer cache. */
  noCache: z.boolean().default(false),
  /** Always try to pull a newer base image. */
  pull: z.boolean().default(false),
  /** Push the tags and record the digest; false: build and tag only. */
  push: z.boolean().default(true),
  registry: DockerRegistry.default({}),
});
export type DockerBuildStep = z.infer<typeof DockerBuildStep>;

/** The registry host a step pushes to: the url's host, else the repository's first part when it names a host. */
export function registryHost(step: Pick<DockerBuildStep, 'repository' | 'registry'>): string | undefined {
  if (step.registry.url) return new URL(step.registry.url).host;
  const first = step.repository.split('/')[0]!;
  return step.repository.includes('/') && /[.:]|^localhost$/.test(first) ? first : undefined;
}

/** The image name a step pushes (no tag): `host/repository` when the registry url names the host. */
export function imageName(step: Pick<DockerBuildStep, 'repository' | 'registry'>): string {
  return step.registry.url ? `${new URL(step.registry.url).host}/${step.repository}` : step.repository;
}

/** Whether the registry is spoken to without TLS verification: an http:// url, or `insecure`. */
export function insecureRegistry(step: Pick<DockerBuildStep, 'registry'>): boolean {
  return step.registry.insecure === true || step.registry.url?.startsWith('http://') === true;
}
