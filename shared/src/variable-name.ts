import { z } from 'zod';

/** Parameter and variable names: what a shell can export. */
export const VariableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a shell variable name (letters, digits, "_"; not starting with a digit)')
  // Names become keys of parameter and environment objects, where '__proto__' is no key but the prototype.
  .refine((n) => n !== '__proto__', "must not be '__proto__'");
