/**
 * Turns the parameters a person (or a trigger) sent into the values a build runs with, by the
 * job's definitions: defaults for the missing ones, Jenkins' conversions, clear errors otherwise.
 */
import type { ParameterDefinition } from '../../../shared/src/job.ts';
import { ValidationError } from '../errors.ts';

export type ParameterValues = Record<string, string | boolean>;

/** A run parameter's value: `job#number` (the job's name may itself hold '#'; the number is after the last). */
export const RUN_VALUE = /^(.+)#([1-9]\d{0,9})$/;

export function resolveParameters(definitions: ParameterDefinition[], given: Record<string, unknown>): ParameterValues {
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const unknown = Object.keys(given).filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new ValidationError(`Unknown parameter(s): ${unknown.join(', ')}`, unknown.map((n) => ({ field: `parameters.${n}`, message: 'this job has no such parameter' })));
  }
  const values: ParameterValues = {};
  for (const def of definitions) {
    const raw = Object.hasOwn(given, def.name) ? given[def.name] : undefined; // a parameter named 'constructor' is not Object's
    const field = `parameters.${def.name}`;
    const bad = (message: string) => new ValidationError(`Invalid value for parameter ${def.name}: ${message}`, [{ field, message }]);
    switch (def.type) {
      case 'boolean':
        // "true"/"false" in any case (forms, query strings, properties files); anything else is
        // refused rather than read as false, as Java's Boolean.parseBoolean would.
        if (raw === undefined) values[def.name] = def.default ?? false;
        else if (typeof raw === 'boolean') values[def.name] = raw;
        else if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) values[def.name] = raw.toLowerCase() === 'true';
        else throw bad(`must be true or false, got ${shown(raw)}`);
        break;
      case 'choice': {
        const value = raw === undefined ? (def.default ?? def.choices[0]!) : raw;
        if (typeof value !== 'string' || !def.choices.includes(value)) {
          throw bad(`${shown(value)} is not one of its choices: ${listed(def.choices)}`);
        }
        values[def.name] = value;
        break;
      }
      case 'run':
        // Its default (the last build passing the filter) needs the database: queueing.ts fills an empty one.
        // An empty value (a form's empty field) asks for the default too.
        if (raw !== undefined && raw !== '' && (typeof raw !== 'string' || !RUN_VALUE.test(raw))) throw bad(`must name a build as job#number, got ${shown(raw)}`);
        values[def.name] = (raw as string | undefined) ?? '';
        break;
      case 'file':
        if (raw !== undefined) throw bad('file parameters are uploaded as multipart form data');
        values[def.name] = '';
        break;
      default: {
        // string, text, password
        if (raw !== undefined && typeof raw !== 'string') throw bad('must be a string');
        const value = raw ?? def.default ?? '';
        values[def.name] = 'trim' in def && def.trim ? value.trim() : value;
      }
    }
  }
  return values;
}

/** A value as the caller sent it, quoted if a string, cut to 100 characters. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** The valid choices, quoted; a long list is cut after 20. */
function listed(choices: string[]): string {
  const some = choices.slice(0, 20).map((c) => shown(c));
  return choices.length > 20 ? `${some.join(', ')} … (${choices.length - 20} more)` : some.join(', ');
}
