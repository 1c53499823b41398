/**
 * Which jobs a credential allows: job names or globs (`*` any run of characters, `?` one), each
 * matched against the whole job name, case-insensitively (job names are unique so). Globs become
 * RE2 patterns (shared/src/linear-regex.ts): matching is linear in the name, never backtracking.
 */
import { compileLinearRegex } from '../../../shared/src/linear-regex.ts';

/** The RE2 pattern of one glob: every character literal (as `\x{…}`) except `*` and `?`. */
function globPattern(glob: string): string {
  let out = '(?is)';
  for (const c of glob) {
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (/[A-Za-z0-9_]/.test(c)) out += c;
    else out += `\\x{${c.codePointAt(0)!.toString(16)}}`;
  }
  return out;
}

/** Whether `jobName` is one of `patterns` (or matches one of its globs). */
export function jobAllowed(patterns: readonly string[], jobName: string): boolean {
  return patterns.some((p) => {
    if (!p.includes('*') && !p.includes('?')) return p.toLowerCase() === jobName.toLowerCase();
    const re = compileLinearRegex(globPattern(p));
    return re.ok && re.matches(jobName);
  });
}
