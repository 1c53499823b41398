/**
 * "Docker build and publish" (shared/src/steps/docker-build-step.ts): logs in to the registry with
 * the step's credential, builds the image from a workspace directory, pushes each tag, and records
 * the pushed digest on the build (AGENT_PATHS.dockerImage) and in DOCKER_IMAGE_DIGEST for the
 * steps after it. The login goes into an auth file of this step's own under WORKSPACE_TMP
 * (DOCKER_CONFIG for docker, --authfile for podman), removed when the step ends; the password goes
 * to the CLI's standard input only — never into an argument or an environment — and is masked in
 * the console with the build's other secrets. Every argument made from the job is either checked
 * against a pattern that cannot start with `-` or given as `--option=value`, so none becomes an option.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { DockerImageReport } from '../../../../shared/src/agent-protocol.ts';
import { expandVariables } from '../../../../shared/src/expand-variables.ts';
import { DOCKER_TAG, IMAGE_DIGEST, imageName, insecureRegistry, registryHost, type DockerBuildStep } from '../../../../shared/src/steps/docker-build-step.ts';
import { retry } from '../../../../shared/src/backoff.ts';
import type { ContainerCli } from '../../container-cli.ts';
import { isRetryable } from '../../master-client.ts';
import { commandLine, runCommand } from '../shell-step.ts';
import type { StepContext, StepOutcome, StepRunner } from '../step-runners.ts';

export interface DockerImageChannel {
  reportDockerImage(buildId: number, report: DockerImageReport, signal?: AbortSignal): Promise<void>;
}

const STEP_FAILED = "Build step 'Docker build and publish' marked build as failure\n";
/** docker push ends with `<tag>: digest: sha256:… size: N`; podman writes the digest to --digestfile. */
const PUSHED_DIGEST = /digest: (sha256:[0-9a-f]{64})/g;
/** How much of a docker push's output is kept to find its digest line in. */
const PUSH_TAIL_BYTES = 64 * 1024;

class StepFailure extends Error {}

export const dockerBuildRunner: StepRunner<DockerBuildStep> = {
  type: 'dockerBuild',
  async run(step, ctx) {
    let authDir: string | undefined;
    try {
      const cli = ctx.containerCli;
      if (!cli) throw new StepFailure('no container CLI works on this agent (no docker daemon answers and podman does not work); run the job on an agent labelled docker, or set JONKKINS_CONTAINER_CLI there');
      const plan = await planOf(step, ctx);
      const tmp = ctx.env.WORKSPACE_TMP ?? ctx.tmpRoot;
      await mkdir(tmp, { recursive: true, mode: 0o700 });
      authDir = await mkdtemp(join(tmp, 'docker-'));
      await writeFile(join(authDir, 'auth.json'), '{"auths":{}}\n', { mode: 0o600 }); // podman refuses an --authfile that does not exist
      const run = new CliRun(cli, ctx, authDir, insecureRegistry(step));
      if (plan.login) await run.login(plan.login.host, plan.login.username, plan.login.password);
      await run.build(plan);
      if (!step.push) return done(ctx);
      let digest = '';
      for (const tag of plan.tags) digest = await run.push(`${plan.image}:${tag}`, digest);
      // Resent while the master cannot be reached: a resend for the same step replaces the record.
      const report = { step: ctx.index, image: plan.image, tags: plan.tags, digest };
      await retry(() => ctx.channel.reportDockerImage(ctx.buildId, report, ctx.signal), {
        initialMs: 250,
        maxMs: 5000,
        signal: ctx.signal,
        retryable: (err) => !ctx.signal.aborted && !ctx.giveUp?.aborted && isRetryable(err),
      });
      ctx.env.DOCKER_IMAGE_DIGEST = digest;
      ctx.say(`Docker image: ${plan.image}@${digest}\n`);
      return done(ctx);
    } catch (err) {
      if (ctx.signal.aborted) return { mark: 'SUCCESS', stop: true }; // the abort decides the result
      ctx.say(`ERROR: ${err instanceof StepFailure ? err.message : `could not record the pushed image: ${(err as Error).message}`}\n${STEP_FAILED}`);
      return { mark: 'FAILURE', stop: true };
    } finally {
      if (authDir) await rm(authDir, { recursive: true, force: true });
    }
  },
};

function done(ctx: StepContext): StepOutcome {
  return { mark: 'SUCCESS', stop: ctx.signal.aborted };
}

interface Plan {
  image: string;
  tags: string[];
  context: string;
  dockerfile: string;
  buildArgs: [string, string][];
  noCache: boolean;
  pull: boolean;
  login?: { host: string; username: string; password: string };
}

/** What the step will do, every value expanded and checked; a StepFailure says what is wrong. */
async function planOf(step: DockerBuildStep, ctx: StepContext): Promise<Plan> {
  const tags = step.tags.map((written) => {
    const tag = expandVariables(written, ctx.env);
    if (!DOCKER_TAG.test(tag)) throw new StepFailure(`the tag ${JSON.stringify(written)} expands to ${JSON.stringify(tag)}, which is not a valid tag (letters, digits, "_", ".", "-", at most 128, not starting with "." or "-")`);
    return tag;
  });
  const context = await insideWorkspace(ctx.workspace, step.context, 'context');
  if (!(await stat(context).catch(() => null))?.isDirectory()) throw new StepFailure(`the build context ${step.context} is not a directory of the workspace`);
  const dockerfile = step.dockerfile ? await insideWorkspace(ctx.workspace, step.dockerfile, 'dockerfile') : join(context, 'Dockerfile');
  if (!(await stat(dockerfile).catch(() => null))?.isFile()) throw new StepFailure(`there is no Dockerfile at ${relative(ctx.workspace, dockerfile) || dockerfile} in the workspace`);
  const plan: Plan = {
    image: imageName(step),
    tags: [...new Set(tags)],
    context,
    dockerfile,
    buildArgs: Object.entries(step.buildArgs ?? {}).map(([name, value]) => [name, expandVariables(value, ctx.env)]),
    noCache: step.noCache,
    pull: step.pull,
  };
  const id = step.registry.credentialsId;
  if (id) {
    const credential = ctx.credentials[id];
    if (!credential) throw new StepFailure(`the credential '${id}' is not given to this build (it does not exist, or this job may not use it)`);
    if (credential.kind !== 'usernamePassword') throw new StepFailure(`the credential '${id}' is a ${credential.kind} credential; a registry login needs a username with password`);
    plan.login = { host: registryHost(step) ?? 'docker.io', username: credential.username, password: credential.password };
  }
  return plan;
}

/** A workspace-relative path resolved, refusing one that leaves the workspace (also through a symlink). */
async function insideWorkspace(workspace: string, path: string, what: string): Promise<string> {
  const root = await realpath(workspace);
  const full = resolve(root, path);
  const real = await realpath(full).catch(() => full);
  if (real !== root && !real.startsWith(root + sep)) throw new StepFailure(`the ${what} ${path} leads out of the workspace`);
  return real;
}

/** One step's CLI calls, all with its own auth file and registry options. */
class CliRun {
  readonly #cli: ContainerCli;
  readonly #ctx: StepContext;
  readonly #authDir: string;
  readonly #env: Record<string, string>;
  /** Options every podman call that may talk to the registry gets. */
  readonly #registryOptions: string[];

  constructor(cli: ContainerCli, ctx: StepContext, authDir: string, insecure: boolean) {
    this.#cli = cli;
    this.#ctx = ctx;
    this.#authDir = authDir;
    // docker reads <DOCKER_CONFIG>/config.json; podman reads REGISTRY_AUTH_FILE, and is also told --authfile.
    this.#env = { ...ctx.env, DOCKER_CONFIG: authDir, REGISTRY_AUTH_FILE: join(authDir, 'auth.json') };
    this.#registryOptions = cli.kind === 'podman' ? [`--authfile=${join(authDir, 'auth.json')}`, ...(insecure ? ['--tls-verify=false'] : [])] : [];
  }

  /** `login --password-stdin`: the password is written to the CLI's standard input and nowhere else. */
  async login(host: string, username: string, password: string): Promise<void> {
    const argv = [this.#cli.command, 'login', ...this.#registryOptions, `--username=${username}`, '--password-stdin', host];
    this.#ctx.say(`${commandLine(this.#ctx.workspace, argv)}\n`);
    const code = await this.#withStdin(argv, `${password}\n`);
    if (code !== 0) throw new StepFailure(`could not log in to ${host} as ${username} (${exitText(code)}): the registry refused the credential, or could not be reached`);
  }

  async build(plan: Plan): Promise<void> {
    const argv = [
      this.#cli.command, 'build',
      ...(this.#cli.kind === 'podman' ? this.#registryOptions : []),
      `--file=${plan.dockerfile}`,
      ...plan.tags.map((tag) => `--tag=${plan.image}:${tag}`),
      ...plan.buildArgs.map(([name, value]) => `--build-arg=${name}=${value}`),
      ...(plan.noCache ? ['--no-cache'] : []),
      ...(plan.pull ? ['--pull'] : []),
      plan.context,
    ];
    const code = await this.#run(argv);
    if (code !== 0) throw new StepFailure(`the image build failed (${exitText(code)})`);
  }

  /** Pushes one tag; answers the digest the registry stored (the same for every tag of one image). */
  async push(ref: string, earlier: string): Promise<string> {
    const digestFile = join(this.#authDir, 'digest');
    const podman = this.#cli.kind === 'podman';
    const argv = [this.#cli.command, 'push', ...this.#registryOptions, ...(podman ? [`--digestfile=${digestFile}`] : []), ref];
    let tail = '';
    const code = await this.#run(argv, (chunk) => (tail = (tail + chunk.toString('latin1')).slice(-PUSH_TAIL_BYTES)));
    if (code !== 0) throw new StepFailure(`pushing ${ref} failed (${exitText(code)})`);
    const digest = podman ? (await readFile(digestFile, 'utf8').catch(() => '')).trim() : ([...tail.matchAll(PUSHED_DIGEST)].at(-1)?.[1] ?? '');
    if (!IMAGE_DIGEST.test(digest)) throw new StepFailure(`pushing ${ref} reported no digest`);
    if (earlier && digest !== earlier) this.#ctx.say(`WARNING: ${ref} was stored as ${digest}, the tags before it as ${earlier}\n`);
    return digest;
  }

  /** A CLI call as a step's process (own process group, console, abort); answers its exit code (null: killed or not started). */
  async #run(argv: string[], tee?: (chunk: Buffer) => void): Promise<number | null> {
    const ctx = this.#ctx;
    ctx.say(`${commandLine(ctx.workspace, argv)}\n`);
    const r = await runCommand(argv, {
      cwd: ctx.workspace,
      env: this.#env,
      signal: ctx.signal,
      killGraceMs: ctx.killGraceMs,
      flow: ctx.flow,
      onOutput: (chunk) => {
        tee?.(chunk);
        ctx.output(chunk);
      },
    });
    ctx.endOutput();
    if (r.launchError !== undefined) throw new StepFailure(`could not run ${argv[0]}: ${r.launchError}`);
    return r.exitCode;
  }

  /** A short CLI call with `input` on its standard input (the launcher gives steps none), its output in the console. */
  #withStdin(argv: string[], input: string): Promise<number | null> {
    const ctx = this.#ctx;
    return new Promise((resolveCode, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: ctx.workspace, env: this.#env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      ctx.signal.addEventListener('abort', kill, { once: true });
      child.stdout!.on('data', (chunk: Buffer) => ctx.output(chunk));
      child.stderr!.on('data', (chunk: Buffer) => ctx.output(chunk));
      child.stdin!.on('error', () => {}); // the CLI may exit before reading it
      child.stdin!.end(input);
      child.once('error', (err) => {
        ctx.signal.removeEventListener('abort', kill);
        reject(new StepFailure(`could not run ${argv[0]}: ${err.message}`));
      });
      child.once('close', (code) => {
        ctx.signal.removeEventListener('abort', kill);
        ctx.endOutput();
        resolveCode(code);
      });
    });
  }
}

function exitText(code: number | null): string {
  return code === null ? 'killed' : `exit code ${code}`;
}
