/**
 * A git plugin branch specifier's glob as a whole-name matcher, for the agent's checkout
 * (worker/src/scm/branch-spec.ts) and the master's Poll SCM (master/src/scm/branch-spec.ts): `*`
 * matches within one path component, `**` across them. Linear time (RE2): specifiers are user input.
 */
import { compileLinearRegex } from './linear-regex.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The specifier as a whole-name matcher. */
export function branchMatcher(spec: string): (name: string) => boolean {
  let source = '';
  for (let i = 0; i < spec.length; ) {
    if (spec.startsWith('**', i)) {
      source += '.*';
      i += 2;
    } else if (spec[i] === '*') {
      source += '[^/]*';
      i += 1;
    } else {
      const next = spec.indexOf('*', i);
      const end = next === -1 ? spec.length : next;
      source += escape(spec.slice(i, end));
      i = end;
    }
  }
  const re = compileLinearRegex(source);
  if (!re.ok) throw new Error(`branch specifier ${spec}: ${re.problem}`);
  return re.matches;
}
