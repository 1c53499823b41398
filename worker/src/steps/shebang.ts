/**
 * How Jenkins turns an "Execute shell" script into a command line (hudson/tasks/Shell.java,
 * CommandInterpreter.java; reference §1.7). Pure: no I/O, so the rules can be tested as a table.
 */

/** What runs a script that has no `#!` line: `-x` traces each command as `+ cmd`, `-e` stops at the first failure. */
export const DEFAULT_INTERPRETER: readonly string[] = ['/bin/sh', '-xe'];

/**
 * LF line endings, and a leading newline unless the script starts with `#!`. Jenkins prepends the
 * newline to stop old bash treating a non-ASCII first line as binary; as in Jenkins, error line
 * numbers are therefore off by one. Idempotent.
 */
export function normaliseScript(script: string): string {
  const lf = script.replace(/\r\n?/g, '\n');
  return lf.startsWith('#!') || lf.startsWith('\n') ? lf : `\n${lf}`;
}

/**
 * The interpreter argv for a script; the caller appends the script file's path. A `#!` line may
 * carry several arguments (unlike the kernel's), split quote-aware and never variable-expanded.
 * Throws when the `#!` line names no interpreter.
 */
export function interpreterFor(script: string): string[] {
  const text = normaliseScript(script);
  if (!text.startsWith('#!')) return [...DEFAULT_INTERPRETER];
  const firstLine = text.split('\n', 1)[0] ?? '';
  const tokens = tokenize(javaTrim(firstLine));
  // Token 0 is `#!/bin/bash`, or just `#!` when a space follows it: then the interpreter is
  // token 1 (Jenkins would run the empty string and fail; the kernel accepts the space, so do we).
  const first = (tokens[0] ?? '').slice(2);
  const argv = first === '' ? tokens.slice(1) : [first, ...tokens.slice(1)];
  if (argv.length === 0 || argv[0] === '') {
    throw new Error(`The script's first line "${firstLine}" names no interpreter: write e.g. "#!/bin/bash", or remove the line to use /bin/sh -xe`);
  }
  return argv;
}

/** Java's String.trim(): strips every char <= U+0020 at both ends (tabs, CR, other controls too). */
function javaTrim(s: string): string {
  return s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
}

const DELIMITERS = ' \t\n\r';
/** Only these may be backslash-escaped; `\W` stays `\W` (so Windows paths survive). */
const ESCAPABLE = '\\"\' ';

/**
 * Jenkins' Util.tokenize (hudson.util.QuotedStringTokenizer): whitespace-separated tokens, where
 * '…' and "…" group (quotes removed, may join adjacent text: `a"b c"` → `ab c`), and a backslash
 * escapes one of `\ " ' space` except as a token's very first char, where it is literal.
 */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  let escape = false;
  for (const c of line) {
    if (escape) {
      escape = false;
      token += ESCAPABLE.includes(c) ? c : `\\${c}`;
    } else if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\') escape = true;
      else token += c;
    } else if (DELIMITERS.includes(c)) {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
    } else if (c === '"' || c === "'") {
      quote = c;
      inToken = true; // `""` is an (empty) token
    } else if (c === '\\' && inToken) {
      escape = true;
    } else {
      token += c;
      inToken = true;
    }
  }
  // A trailing lone backslash is dropped, as in Jenkins.
  if (inToken) tokens.push(token);
  return tokens;
}
