/**
 * Which container CLI the agent's dockerBuild steps use: `docker` where a docker daemon answers,
 * else `podman` where it works, found once at agent start-up by probing (each probe one cheap
 * command under PROBE_TIMEOUT_MS), or chosen by the operator (JONKKINS_CONTAINER_CLI). An agent
 * with a working CLI gives itself the label `docker` (AgentLoginRequest.probedLabels).
 */
import { execFile } from 'node:child_process';

export type ContainerCliKind = 'docker' | 'podman';
/** `auto`: probe docker, then podman; `none`: no docker steps here (and no probe). */
export type ContainerCliChoice = 'auto' | ContainerCliKind | 'none';
export const CONTAINER_CLI_CHOICES: readonly ContainerCliChoice[] = ['auto', 'docker', 'podman', 'none'];

export interface ContainerCli {
  kind: ContainerCliKind;
  /** The program run (found on the build environment's PATH). */
  command: string;
}

/** Each probe command gets this long before it is killed and counts as "does not work". */
export const PROBE_TIMEOUT_MS = 5_000;

/**
 * The probes: `docker version` asks the daemon for its version (it fails at once when no daemon
 * listens); `podman images` opens podman's storage (its configuration: CONTAINERS_STORAGE_CONF)
 * and lists nothing, about 40 ms. Neither pulls, builds or starts anything.
 */
const PROBES: Record<ContainerCliKind, string[]> = {
  docker: ['version', '--format', '{{.Server.Version}}'],
  podman: ['images', '--quiet', '--filter', 'reference=jonkkins-probe/none'],
};

/** Whether `kind` works here: its probe exits 0 within the timeout. */
export function cliWorks(kind: ContainerCliKind, env: NodeJS.ProcessEnv, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(kind, PROBES[kind], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err) => resolve(err === null));
  });
}

/** The CLI to use for `choice` (a named one only if it works), or null: no docker steps on this agent. */
export async function findContainerCli(choice: ContainerCliChoice, env: NodeJS.ProcessEnv, timeoutMs = PROBE_TIMEOUT_MS): Promise<ContainerCli | null> {
  if (choice === 'none') return null;
  const kinds: ContainerCliKind[] = choice === 'auto' ? ['docker', 'podman'] : [choice];
  for (const kind of kinds) if (await cliWorks(kind, env, timeoutMs)) return { kind, command: kind };
  return null;
}

/** JONKKINS_CONTAINER_CLI's value as a choice; anything else is an error naming the choices. */
export function parseContainerCliChoice(value: string | undefined): ContainerCliChoice {
  const v = (value ?? '').trim() || 'auto';
  if (!(CONTAINER_CLI_CHOICES as string[]).includes(v)) throw new Error(`JONKKINS_CONTAINER_CLI must be one of ${CONTAINER_CLI_CHOICES.join(', ')}, got "${value}"`);
  return v as ContainerCliChoice;
}
