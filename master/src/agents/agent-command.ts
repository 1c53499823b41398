/** The command line that starts an agent, as shown once when it is registered or gets a new secret. */

/** Quotes a value for a POSIX shell: single quotes, each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `printf '%s\n' '…' | npx jonkkins agent --url '…' --name '…' --secret-stdin`, every value quoted
 * (see bin/cli.ts for the flags). The secret goes through a pipe from a shell builtin: no process's
 * command line or environment ever holds it, where other users and build steps could read it.
 */
export function agentCommand(publicUrl: string, name: string, secret: string): string {
  return `printf '%s\\n' ${shellQuote(secret)} | npx jonkkins agent --url ${shellQuote(publicUrl)} --name ${shellQuote(name)} --secret-stdin`;
}
