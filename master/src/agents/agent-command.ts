/** The command line that starts an agent, as shown once when it is registered or gets a new secret. */

/** Quotes a value for a POSIX shell: single quotes, each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `npx jonkkins agent --url '…' --name '…' --secret '…'`, every value quoted (see bin/cli.ts for the flags). */
export function agentCommand(publicUrl: string, name: string, secret: string): string {
  return `npx jonkkins agent --url ${shellQuote(publicUrl)} --name ${shellQuote(name)} --secret ${shellQuote(secret)}`;
}
