import type { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** Parses input with a schema; a failure is a 400 that names every bad field and why. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  const summary = details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)).join('; ');
  throw new ValidationError(`Invalid ${what}: ${summary}`, details);
}
