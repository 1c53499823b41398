/** "Copy artifacts from another project" (copyartifact plugin): artifacts of another job's build into the workspace. */
import { z } from 'zod';

/** Ant-style file patterns (`*`, `?`, `**`), comma- or space-separated; `$VAR` / `${VAR}` are expanded from the build's environment. */
export const AntPatterns = z.string().max(10_000);

export const CopyArtifactsStep = z.strictObject({
  type: z.literal('copyArtifacts'),
  /** The job to copy from; `$VAR` / `${VAR}` expanded. */
  project: z.string().min(1, 'name the project to copy from').max(10_000),
  /** Its latest successful build (SUCCESS or UNSTABLE), or the build with this number. */
  selector: z.union([z.literal('lastSuccessful'), z.number().int().min(1)]).default('lastSuccessful'),
  /** Which artifacts (Ant patterns over their paths); all when absent or blank. */
  filter: AntPatterns.optional(),
  /** A directory of the workspace to copy into (workspace-relative, `$VAR` expanded); the workspace itself when absent. */
  target: z.string().max(1024).optional(),
});
export type CopyArtifactsStep = z.infer<typeof CopyArtifactsStep>;
