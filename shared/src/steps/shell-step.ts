/** "Execute shell": a script run as Jenkins runs it (`#!` picks the interpreter, else /bin/sh -xe). */
import { z } from 'zod';

export const ShellStep = z.strictObject({
  type: z.literal('shell'),
  script: z.string().max(1_000_000),
  /** An exit code (1–255) that marks the build UNSTABLE and lets later steps run. */
  unstableReturn: z.number().int().min(1).max(255).optional(),
});
export type ShellStep = z.infer<typeof ShellStep>;
