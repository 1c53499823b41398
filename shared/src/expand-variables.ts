/**
 * Jenkins' `$VAR` and `${VAR}` expansion; unknown variables stay as written. Master and agent both
 * use it. Only the environment's own names count: `$constructor` is not Object's constructor.
 */
export function expandVariables(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return Object.hasOwn(env, name) ? env[name]! : whole;
  });
}
