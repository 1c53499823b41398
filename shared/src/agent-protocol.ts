/**
 * The master↔agent contract. Agents are untrusted: the master validates every message here and
 * checks that the agent sending it is the one the build was given to.
 *
 * Lifecycle (protocol version 6; PROTOCOL_VERSION):
 *  1. Login: POST /login-slave {name, secret, protocolVersion, agentVersion} → a JWS (kind "agent",
 *     15 minutes), as the text/plain body and in the Authorization header. 401 = wrong credentials;
 *     400 with code `unsupported_protocol` = the master does not speak the agent's protocol version
 *     (its message says which it speaks): the agent prints the message and exits, as for any answer
 *     that asking again cannot change. 429 = throttled (it waits Retry-After). Every HEARTBEAT_INTERVAL_MS: POST /api/agent/heartbeat. Every
 *     TOKEN_RENEW_INTERVAL_MS: POST /api/token. Any 401 later → log in again. The login's `session`
 *     (a UUID the agent process picks at start-up) is carried in the token: builds belong to the
 *     session that started them, and a login with another session ends them FAILURE ("agent lost").
 *     The login may carry `probedLabels` (PROBED_LABELS: `docker` when the agent found a working
 *     container CLI at start-up); the master adds them to the agent's labels until its next login.
 *  2. Work: GET /api/agent/work-config → where the queue is (Redis URL and key prefix) and which
 *     queues exist, each with its label expression. The agent works, as a BullMQ worker, the queues
 *     whose expression its labels plus its own name satisfy (queue "any" always), never holding a
 *     queue job it has no free executor for. Re-read every WORK_CONFIG_REFRESH_MS. A queue job's data
 *     is only {buildId}. The master also publishes on the Redis channel workConfigChannel(prefix)
 *     whenever the config may have changed (a new label expression, an agent's labels or executors):
 *     the agent re-reads it at once instead of waiting for the next refresh.
 *  3. Start: POST /api/agent/builds/:id/start {executor} → 200 BuildSpec: the master moved the build
 *     from queued to running for this agent, exactly once. 409 = not startable (cancelled, already
 *     taken, not yet due, or refused because a credential the job names is missing or not allowed
 *     for it — that build has then ended FAILURE, its console saying why): the agent drops the queue
 *     job without running anything. spec.credentials holds the secrets of exactly the credentials
 *     the job names (credentialBindings, sshAgent, scm.credentialsId, dockerBuild steps'
 *     registry.credentialsId), all of them in spec.masks;
 *     the agent binds them before the first step and removes what it wrote when the build ends.
 *  4. Checkout (spec.scm): first of all, the agent fetches into the workspace's clone and checks
 *     out, then POSTs AGENT_PATHS.checkout (a CheckoutReport: the commit, branch and the commits
 *     since that branch's commit in spec.scmHistory); a failed checkout fails the build.
 *     Run: the agent prepares the workspace and runs the steps in order, each in its own process
 *     group. Console bytes go to POST /api/agent/builds/:id/log?offset=N (body: raw bytes) in batches
 *     (≤ LOG_BATCH_MS or LOG_BATCH_BYTES). The offset makes resends idempotent: bytes the master
 *     already has are skipped; a gap is a 409 whose body says the size the master has. Secrets
 *     (spec.masks) are replaced by **** before bytes leave the agent. While a build runs and no log
 *     was sent for BUILD_PING_MS, the agent calls POST /api/agent/builds/:id/ping. Every answer to
 *     log and ping is a BuildControl: `abort: true` → kill the step's process group (SIGTERM, then
 *     SIGKILL after 5 s) and finish.
 *     Artifacts: after the steps (whatever their result; not after an abort), for each entry of
 *     spec.archive in order, the agent globs the workspace — never following a symlink out of it —
 *     and PUTs each file's raw bytes to AGENT_PATHS.artifact (≤ MAX_ARTIFACT_BYTES; answer: an
 *     Artifact with the size and sha256 the master stored, which the agent compares with its own).
 *     Only the agent running the build may upload, and only before finish. A copyArtifacts step asks
 *     AGENT_PATHS.copyArtifacts for another job's build (answer: a CopyArtifactsSource) and fetches
 *     each file from AGENT_PATHS.copyArtifact, which the master serves only to the agent running
 *     this build, and only from a project a copyArtifacts step of its job names; it writes them
 *     into the workspace as it writes job files.
 *     A triggerBuilds step ("Trigger/call builds on other projects") reads its properties files in
 *     the workspace and POSTs AGENT_PATHS.trigger (a TriggerRequest naming the step by its index):
 *     the master queues the downstream builds with an upstream cause and answers a TriggerAnswer;
 *     a resent request for the same step gets the same answer (the agent resends while the master
 *     cannot be reached), so nothing is triggered twice.
 *     With `block`, those builds are awaited by this one: the agent polls AGENT_PATHS.awaited
 *     (every AWAIT_POLL_MS; answer: AwaitedBuilds, only builds this build awaits) until each has
 *     ended, holding its executor, then maps the results through the step's thresholds. An abort
 *     stops the waiting at once; when the build finishes, the master aborts what it still awaited.
 *     A dockerBuild step that pushed an image POSTs AGENT_PATHS.dockerImage (a DockerImageReport:
 *     the step's index, image, tags, digest); the master records it on the build (a resend replaces).
 *  5. Finish: POST /api/agent/builds/:id/finish {result, logSize, properties} once every byte is
 *     stored (`properties`: the properties files of spec.triggerFiles, read after the steps); the
 *     master appends "Finished: RESULT" and the build is over. The last console bytes (at most
 *     FINISH_LOG_BYTES) may come with it instead of in a log call of their own: {log: {offset, data
 *     (base64)}}, stored exactly like a log post at that offset, in the finishing transaction.
 *     A result only gets worse: an aborted
 *     build ends ABORTED (FAILURE for a timeout) whatever the agent reports.
 *  6. If the master cannot be reached, the agent keeps the build running, buffers its console and
 *     retries with backoff; nothing is reported twice (offsets) and nothing is lost. An agent that
 *     goes silent for AGENT_LOST_AFTER_MS has its running builds ended FAILURE ("agent lost"); they are
 *     never run again elsewhere.
 */
import { z } from 'zod';
import { CredentialBinding, CredentialSecret } from './credentials.ts';
import { GitScm, ScmHistory, ScmRevision } from './scm.ts';
import { BuildResult, BuildState } from './build.ts';
import { BuildStep } from './step-kinds.ts';
import { DOCKER_TAG, IMAGE_DIGEST } from './steps/docker-build-step.ts';

/**
 * The contract's version: the agent states it at login; the master accepts only its own.
 * 5: the spec's scm, credentials and scmHistory, checkout and docker image reports, probed labels
 * (an agent of 4 would run a job's steps without its checkout or its bound credentials).
 * 6: the spec's scmRevision (an agent of 5 would build the branch's head instead of the pushed commit).
 */
export const PROTOCOL_VERSION = 6;
/** Agents before protocol version 4 sent no version at login. */
export const UNSTATED_PROTOCOL_VERSION = 3;
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** Two thirds of the 15-minute token lifetime, leaving room for a slow master. */
export const TOKEN_RENEW_INTERVAL_MS = 10 * 60_000;
export const WORK_CONFIG_REFRESH_MS = 5_000;
export const LOG_BATCH_MS = 200;
/** 4 MiB: each log call costs the master a transaction and an authentication whatever its size. */
export const LOG_BATCH_BYTES = 4 * 1024 * 1024;
export const BUILD_PING_MS = 500;
export const AGENT_LOST_AFTER_MS = 30_000;
export const AWAIT_POLL_MS = 500;

export const AGENT_PATHS = {
  login: '/login-slave',
  renew: '/api/token',
  heartbeat: '/api/agent/heartbeat',
  workConfig: '/api/agent/work-config',
  start: (buildId: number) => `/api/agent/builds/${buildId}/start`,
  log: (buildId: number, offset: number) => `/api/agent/builds/${buildId}/log?offset=${offset}`,
  ping: (buildId: number) => `/api/agent/builds/${buildId}/ping`,
  file: (buildId: number, parameter: string) => `/api/agent/builds/${buildId}/files/${encodeURIComponent(parameter)}`,
  jobFile: (buildId: number, path: string) => `/api/agent/builds/${buildId}/job-files/${path.split('/').map(encodeURIComponent).join('/')}`,
  finish: (buildId: number) => `/api/agent/builds/${buildId}/finish`,
  artifact: (buildId: number, path: string) => `/api/agent/builds/${buildId}/artifacts/${encodePath(path)}`,
  copyArtifacts: (buildId: number, project: string, selector: CopySelector) =>
    `/api/agent/builds/${buildId}/copy-artifacts?${new URLSearchParams({ project, selector: String(selector) })}`,
  copyArtifact: (buildId: number, project: string, number: number, path: string) =>
    `/api/agent/builds/${buildId}/copy-artifacts/${encodeURIComponent(project)}/${number}/${encodePath(path)}`,
  trigger: (buildId: number) => `/api/agent/builds/${buildId}/trigger`,
  checkout: (buildId: number) => `/api/agent/builds/${buildId}/checkout`,
  awaited: (buildId: number, queueIds: number[]) => `/api/agent/builds/${buildId}/awaited?ids=${queueIds.join(',')}`,
  dockerImage: (buildId: number) => `/api/agent/builds/${buildId}/docker-images`,
} as const;

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The largest artifact file the master takes. */
export const MAX_ARTIFACT_BYTES = 1024 ** 3;

/** copyArtifacts' selector: the latest build that is SUCCESS or UNSTABLE, or a build number. */
export type CopySelector = 'lastSuccessful' | number;

/** An artifact as the master stored it: path relative to the build's archive, size, sha256 (hex). */
export const Artifact = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
export type Artifact = z.infer<typeof Artifact>;

/** Answer to AGENT_PATHS.copyArtifacts: the build that was selected and all its artifacts. */
export const CopyArtifactsSource = z.object({ project: z.string(), number: z.number(), artifacts: z.array(Artifact) });
export type CopyArtifactsSource = z.infer<typeof CopyArtifactsSource>;

/** Redis pub/sub channel on which the master says "re-read your work config now". */
export const workConfigChannel = (prefix: string) => `${prefix}:work-config`;

export const AgentCredentials = z.strictObject({ name: z.string().min(1).max(64), secret: z.string().min(1).max(256) });
export type AgentCredentials = z.infer<typeof AgentCredentials>;

/**
 * Labels an agent may give itself, each for a capability it probes once at start-up:
 * `docker` — a container CLI (docker with a daemon that answers, or podman) works there.
 */
export const PROBED_LABELS = ['docker'] as const;
export type ProbedLabel = (typeof PROBED_LABELS)[number];

/** POST /login-slave. The versions are optional so that an agent older than them is told why it is refused. */
export const AgentLoginRequest = z.strictObject({
  name: z.string().max(64),
  secret: z.string().max(256),
  /** The agent's PROTOCOL_VERSION (UNSTATED_PROTOCOL_VERSION when absent). */
  protocolVersion: z.number().int().min(0).max(1_000_000).optional(),
  /** The agent's software version (package.json), shown on Manage → Nodes. */
  agentVersion: z.string().max(64).regex(/^[\x21-\x7e]*$/, 'must be printable ASCII without spaces').optional(),
  /** The agent process's session (a UUID it picks at start-up); builds belong to a session, not to a name. */
  session: z.uuid().optional(),
  /** Labels the agent found it deserves by probing its machine at start-up (PROBED_LABELS), added to the admin's. */
  probedLabels: z.array(z.enum(PROBED_LABELS)).max(PROBED_LABELS.length).optional(),
});
export type AgentLoginRequest = z.infer<typeof AgentLoginRequest>;

/** The data of every BullMQ queue job: the build's id and nothing else (the rest comes from start). */
export const QueueJobData = z.object({ buildId: z.number().int().positive() });
export type QueueJobData = z.infer<typeof QueueJobData>;

export const WorkConfig = z.object({
  redis: z.object({ url: z.string(), prefix: z.string() }),
  /** The agent's own labels, as the master has them (an admin may change them while it runs). */
  labels: z.array(z.string()),
  executors: z.number().int().min(1),
  queues: z.array(z.object({ name: z.string(), expression: z.string() })),
});
export type WorkConfig = z.infer<typeof WorkConfig>;

export const StartRequest = z.strictObject({ executor: z.number().int().min(0).max(63) });
export type StartRequest = z.infer<typeof StartRequest>;

export const BuildSpec = z.object({
  buildId: z.number(),
  jobName: z.string(),
  number: z.number(),
  /** The job document's steps as stored (job.ts), each validated by its kind's schema (step-kinds.ts). */
  steps: z.array(BuildStep),
  /** Environment from the master: build, job and parameter variables. The agent adds WORKSPACE,
   * NODE_NAME, NODE_LABELS and EXECUTOR_NUMBER. */
  env: z.record(z.string(), z.string()),
  /** Strings to replace by **** in the console (password parameter values). */
  masks: z.array(z.string()),
  timeoutMinutes: z.number().nullable(),
  /** Files of file parameters: fetch each from AGENT_PATHS.file into the workspace at `parameter`
   * before the first step, and check its size and sha256. */
  files: z.array(z.object({ parameter: z.string(), fileName: z.string(), size: z.number(), sha256: z.string() })).default([]),
  /** The job's files: fetch each from AGENT_PATHS.jobFile into the workspace at its (relative) path
   * before the first step, never following a symlink out of the workspace; check size and sha256. */
  jobFiles: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string() })).default([]),
  /** The job's archiveArtifacts publishers, in order: what to upload after the steps (patterns not yet expanded). */
  archive: z
    .array(z.object({ artifacts: z.string(), excludes: z.string().optional(), allowEmptyArchive: z.boolean().optional(), onlyIfSuccessful: z.boolean().optional() }))
    .default([]),
  /** Post-build parameterized triggers that read properties files: after the steps, read each
   * (comma-separated, `$VAR`-expanded, workspace-relative) and send the texts with finish. */
  triggerFiles: z.array(z.object({ publisher: z.number(), propertiesFile: z.string() })).default([]),
  /** Where the agent's console bytes start (the master wrote the header lines before). */
  logOffset: z.number(),
  /** The job's scm, checked out before the first step (and before job files and file parameters). */
  scm: GitScm.nullable().default(null),
  /** The job's credentialBindings and sshAgent, as in the job document. */
  credentialBindings: z.array(CredentialBinding).default([]),
  sshAgent: z.array(z.string()).default([]),
  /** The secrets of exactly the credentials this build's job binds or uses (bindings, sshAgent, scm, dockerBuild registries), by id; nothing else. */
  credentials: z.record(z.string(), CredentialSecret).default({}),
  /** With scm: this job's earlier checkouts, per branch (GIT_PREVIOUS_* and the change set). */
  scmHistory: ScmHistory.default([]),
  /** With scm: the commit the build's cause named (a push, a poll, a notifyCommit's sha1), which the
   * checkout builds instead of the branch's head, so a branch that moved meanwhile changes nothing. */
  scmRevision: ScmRevision.nullable().default(null),
});
export type BuildSpec = z.infer<typeof BuildSpec>;

export const BuildControl = z.object({
  /** The master has the console up to here. */
  logSize: z.number(),
  /** Stop the build now. */
  abort: z.boolean(),
});
export type BuildControl = z.infer<typeof BuildControl>;

/** The properties files a trigger read, in the order named (missing ones are left out). */
export const PropertiesTexts = z.array(z.string().max(1_000_000)).max(100);

/** The most console bytes a finish call may carry (FinishRequest.log). */
export const FINISH_LOG_BYTES = 64 * 1024;

export const FinishRequest = z.strictObject({
  result: BuildResult,
  /** The console's size once `log` (if any) is stored. */
  logSize: z.number().int().min(0),
  /** The console's last bytes, at `offset` (as a log post's ?offset=). */
  log: z.strictObject({ offset: z.number().int().min(0), data: z.base64().max(Math.ceil(FINISH_LOG_BYTES / 3) * 4) }).optional(),
  /** For each entry of spec.triggerFiles: its publisher index and the texts read. */
  properties: z.array(z.strictObject({ publisher: z.number().int().min(0).max(99), texts: PropertiesTexts })).max(100).optional(),
});
export type FinishRequest = z.infer<typeof FinishRequest>;

/** 409 body of a log post that left a gap: resend from `logSize`. */
export const LogGap = z.object({ error: z.object({ code: z.literal('conflict'), message: z.string() }), logSize: z.number() });

/** Variables of the agent's step environment a trigger may expand besides the master's (others are ignored). */
export const TRIGGER_ENV = /^(WORKSPACE|WORKSPACE_TMP|NODE_LABELS|LAST_TRIGGERED_JOB_NAME|TRIGGERED_[A-Za-z0-9_]+)$/;

/** A triggerBuilds step asks the master to queue its builds. */
export const TriggerRequest = z.strictObject({
  /** The step's index in spec.steps. */
  step: z.number().int().min(0).max(199),
  /** The build's result so far (SUCCESS or UNSTABLE), for the step's condition. */
  resultSoFar: BuildResult,
  properties: PropertiesTexts.default([]),
  /** The agent's variables named by TRIGGER_ENV. */
  env: z.record(z.string().regex(TRIGGER_ENV), z.string().max(100_000)).default({}),
});
export type TriggerRequest = z.infer<typeof TriggerRequest>;

export const TriggerAnswer = z.object({
  /** Console lines about projects that could not be triggered. */
  lines: z.array(z.string()),
  /** The builds queued, in the order of the step's projects. */
  triggered: z.array(z.object({ job: z.string(), queueId: z.number() })),
  /** Some project could not be triggered (not found, disabled): the step fails. */
  failed: z.boolean(),
});
export type TriggerAnswer = z.infer<typeof TriggerAnswer>;

/**
 * A dockerBuild step pushed an image: POST AGENT_PATHS.dockerImage, for the step's index (the
 * master checks that the step is a pushing dockerBuild step of the build's job and that `image`
 * is the one it names); a resend for the same step replaces the record.
 */
export const DockerImageReport = z.strictObject({
  step: z.number().int().min(0).max(199),
  /** The image's name without a tag: registry host (if any) and repository. */
  image: z.string().min(1).max(600),
  /** The tags pushed, expanded. */
  tags: z.array(z.string().regex(DOCKER_TAG)).min(1).max(20),
  digest: z.string().regex(IMAGE_DIGEST, 'must be sha256: and 64 hex digits'),
});
export type DockerImageReport = z.infer<typeof DockerImageReport>;

/** Where an awaited build is: `number` once it started, `result` once it finished; cancelled = never ran. */
export const AwaitedBuilds = z.object({
  builds: z.array(z.object({ queueId: z.number(), job: z.string(), state: BuildState, number: z.number().nullable(), result: BuildResult.nullable() })),
});
export type AwaitedBuilds = z.infer<typeof AwaitedBuilds>;
