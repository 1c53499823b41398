/**
 * The ways a shell may write a secret back out quoted, so that masking catches those too: a step
 * run with `-x` traces each command word re-quoted (bash: `'Hunter2 pa'\''ss'`), and `printf %q`
 * or `${v@Q}` print values the same ways. Each form is what appears *inside* the quoted word, so it
 * is found also when the secret is only part of a word (`'pw=Hunter2 pa'\''ss'`).
 *
 * Forms (only those that differ from the secret itself are returned):
 *  - single quotes, `'` written `'\''` (bash, mksh, zsh xtrace; `${v@Q}`);
 *  - single quotes, `'` written `'"'"'` (busybox ash and some dash builds);
 *  - ANSI-C `$'…'` (bash for values with control characters): `\'`, `\\`, `\n`, `\t`, `\E`…, other
 *    unprintable bytes as 3-digit octal; non-ASCII kept as is (a UTF-8 locale) or as octal bytes (C);
 *  - backslashes before each special character (`printf %q`, bash's completion quoting).
 * dash (Debian's /bin/sh) traces values unquoted: the secret itself covers it.
 */

const ANSI_C_ESCAPES: Record<string, string> = { '\x1b': 'E', '\x07': 'a', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v', '\\': '\\', "'": "'" };
/** Characters printf %q escapes with a backslash (bash's sh_backslash_quote); `#` and `~` only first. */
const BACKSLASHED = new Set(' \t\n\'"\\|&;()<>!{}*[]?^$`,'.split(''));

export function shellQuotedForms(secret: string): string[] {
  const forms = new Set<string>([
    secret.replaceAll("'", `'\\''`),
    secret.replaceAll("'", `'"'"'`),
    ansiC(secret, false),
    ansiC(secret, true),
    [...secret].map((c, i) => (BACKSLASHED.has(c) || (i === 0 && (c === '#' || c === '~')) ? `\\${c}` : c)).join(''),
  ]);
  forms.delete(secret);
  return [...forms];
}

/** The inside of `$'…'` for `value`; `octalNonAscii`: bytes ≥ 0x80 as octal too (a C locale). */
function ansiC(value: string, octalNonAscii: boolean): string {
  let out = '';
  for (const c of value) {
    const escape = ANSI_C_ESCAPES[c];
    if (escape !== undefined) out += `\\${escape}`;
    else if (c < ' ' || c === '\x7f' || (octalNonAscii && c > '\x7f')) for (const byte of Buffer.from(c, 'utf8')) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += c;
  }
  return out;
}
