/** Jenkins' `$VAR` and `${VAR}` expansion; unknown variables stay as written. Master and agent both use it. */
export function expandVariables(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? whole);
}
