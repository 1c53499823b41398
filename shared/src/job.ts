/**
 * The freestyle job document: one schema for the API, storage and the UI. Unknown fields are
 * refused; every error names its field.
 */
import { z } from 'zod';
import { CronSpecString } from './cron.ts';
import { LabelExpressionString } from './label-expression.ts';
import { BuildStep } from './step-kinds.ts';
import { CredentialBinding, CredentialId } from './credentials.ts';
import { GitScm } from './scm.ts';
import { MailerPublisher, SlackNotifierPublisher } from './notifications.ts';
import { VariableName } from './variable-name.ts';
import { WorkspacePath } from './workspace-path.ts';
import { AntPatterns } from './steps/copy-artifacts-step.ts';
import { Projects, triggerParameters, TriggerCondition } from './steps/trigger-builds-step.ts';

// The step kinds' schemas live in steps/ and are registered in step-kinds.ts; re-exported here
// for the code that reads the job document.
export { BuildStep } from './step-kinds.ts';
export { VariableName } from './variable-name.ts';
export { CopyArtifactsStep } from './steps/copy-artifacts-step.ts';
export { ShellStep } from './steps/shell-step.ts';
export { Block, BlockThreshold, TriggerBuildsStep, TriggerCondition } from './steps/trigger-builds-step.ts';

export const JobName = z
  .string()
  .regex(/^[A-Za-z0-9_. -]{1,128}$/, 'must be 1–128 characters of letters, digits, "_", "-", "." and spaces')
  .refine((n) => n !== '.' && n !== '..', 'must not be "." or ".."')
  .refine((n) => n.trim() === n, 'must not start or end with a space');

/** A file parameter's name: a workspace-relative path (no `..`, no leading `/`), also the variable that holds the uploaded file's name. */
export const FileParameterName = WorkspacePath.pipe(z.string().max(255, 'must be at most 255 characters').refine((n) => n !== '__proto__', "must not be '__proto__'"));

/** Which builds a run parameter's default may be (Jenkins' RunParameterFilter). */
export const RunFilter = z.enum([
  'ALL', // any build that started
  'COMPLETED', // finished, whatever its result
  'SUCCESSFUL', // SUCCESS or UNSTABLE
  'STABLE', // SUCCESS
]);
export type RunFilter = z.infer<typeof RunFilter>;

const common = { name: VariableName, description: z.string().max(10_000).optional() };
export const ParameterDefinition = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('string'), ...common, default: z.string().max(1_000_000).optional(), trim: z.boolean().optional() }),
  z.strictObject({ type: z.literal('text'), ...common, default: z.string().max(1_000_000).optional(), trim: z.boolean().optional() }),
  z.strictObject({ type: z.literal('boolean'), ...common, default: z.boolean().optional() }),
  z
    .strictObject({ type: z.literal('choice'), ...common, choices: z.array(z.string().max(10_000)).min(1, 'needs at least one choice'), default: z.string().optional() })
    .refine((p) => p.default === undefined || p.choices.includes(p.default), { message: 'default must be one of the choices', path: ['default'] }),
  z.strictObject({ type: z.literal('password'), ...common, default: z.string().max(10_000).optional() }),
  /**
   * "Run Parameter": a build of `projectName`, given as `job#number`; when none is given, its last
   * build that passes `filter` (ALL: any started build; COMPLETED: finished; SUCCESSFUL: SUCCESS or
   * UNSTABLE; STABLE: SUCCESS). The build gets NAME (the build's URL), NAME_JOBNAME, NAME_NUMBER, NAME_NAME.
   */
  z.strictObject({ type: z.literal('run'), ...common, projectName: JobName, filter: RunFilter.default('ALL') }),
  /** The name is where the uploaded file lands: a workspace path (`upload.bin`, `conf/settings.xml`), as in Jenkins. */
  z.strictObject({ type: z.literal('file'), ...common, name: FileParameterName }),
]);
export type ParameterDefinition = z.infer<typeof ParameterDefinition>;

/** Thresholds of "Build other projects" and "Build after other projects are built": fire when the result is at least this good. */
export const Threshold = z.enum(['SUCCESS', 'UNSTABLE', 'FAILURE']);

export const Publisher = z.discriminatedUnion('type', [
  /** Trigger parameterized builds on other projects (parameterized-trigger). */
  z.strictObject({
    type: z.literal('triggerBuilds'),
    ...triggerParameters,
    condition: TriggerCondition.default('SUCCESS'),
  }),
  /** Build other projects (Jenkins core), when the result is at least `threshold`. */
  z.strictObject({ type: z.literal('buildOtherProjects'), projects: Projects, threshold: Threshold.default('SUCCESS') }),
  /** Archive the artifacts (Jenkins' ArtifactArchiver): the agent keeps workspace files matching `artifacts` and not `excludes` with the build. */
  z.strictObject({
    type: z.literal('archiveArtifacts'),
    artifacts: AntPatterns.refine((s) => s.trim() !== '', 'name at least one file pattern ("**" archives the whole workspace)'),
    excludes: AntPatterns.optional(),
    /** Nothing matched is not an error (the console says so). */
    allowEmptyArchive: z.boolean().optional(),
    /** Archive only when the build is SUCCESS or UNSTABLE so far. */
    onlyIfSuccessful: z.boolean().optional(),
  }),
  /** Slack Notifications (slack plugin). */
  SlackNotifierPublisher,
  /** E-mail Notification (mailer). */
  MailerPublisher,
  /**
   * Commit status on the forge (GitHub/GitLab/Gitea): pending when the build starts, its result at
   * the end, linking BUILD_URL. `apiUrl`: GitHub Enterprise or a self-hosted forge's API root;
   * `credentialsId`: a secretText (or usernamePassword: its password) holding the forge's token;
   * `context`: the status' name (default: the job's name; GitLab: "jenkins").
   */
  z.strictObject({
    type: z.literal('commitStatus'),
    forge: z.enum(['github', 'gitlab', 'gitea']),
    apiUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    credentialsId: CredentialId,
    context: z.string().min(1).max(255).optional(),
  }),
]);
export type Publisher = z.infer<typeof Publisher>;

export const BuildDiscarder = z.strictObject({
  numToKeep: z.number().int().min(1).optional(),
  daysToKeep: z.number().int().min(1).optional(),
});

/** A Generic Webhook Trigger "post content parameter": `expression` (JSONPath, a bounded subset: json-path.ts) over the JSON payload becomes parameter `key`. */
export const GenericWebhookParameter = z.strictObject({
  key: VariableName,
  expression: z.string().min(1).max(512).refine((e) => e.startsWith('$'), 'must be a JSONPath expression starting with $'),
  defaultValue: z.string().max(10_000).optional(),
});

/**
 * A token the master keeps encrypted (remote trigger, GitLab, generic webhook). "****" is how the API
 * shows a stored one, and means "keep it" when saved back (the configure page, a GET config.xml
 * posted again, `jonkkins export` applied again).
 */
const KeptSecretToken = z
  .string()
  .max(256)
  .refine((v) => v === '****' || v.length >= 8, 'must be at least 8 characters');

export const GenericWebhookTrigger = z.strictObject({
  /** The token the caller passes (?token=, a `token` header or Authorization: Bearer); kept encrypted. */
  token: KeptSecretToken,
  parameters: z.array(GenericWebhookParameter).max(50).default([]),
  /** The build's cause (the plugin's causeString). */
  causeString: z.string().min(1).max(500).default('Generic Cause'),
});

const Triggers = z
  .strictObject({
    /** "Trigger builds remotely": POST (or GET) /api/jobs/:name/builds?token=… starts a build without a login. */
    remoteToken: KeptSecretToken.optional(),
    /** "Build periodically": Jenkins cron syntax (H, H(a-b)/n, @daily…, several lines, TZ= on line 1). */
    cron: CronSpecString.optional(),
    /** "Build after other projects are built": a build of one of `projects` with a result at least `threshold` triggers this job. */
    upstream: z.strictObject({ projects: Projects, threshold: Threshold.default('SUCCESS') }).optional(),
    /** "Poll SCM": Jenkins cron syntax; a build when the remote's matching heads moved. Needs `scm`. */
    pollScm: CronSpecString.optional(),
    /** "GitHub hook trigger for GITScm polling": POST /github-webhook/ pushes build this job. */
    githubPush: z.boolean().optional(),
    /** GitLab plugin's secret token: POST /project/<job> with this X-Gitlab-Token builds the job. */
    gitlabSecretToken: KeptSecretToken.optional(),
    /** Generic Webhook Trigger: POST /generic-webhook-trigger/invoke?token=… builds the job, JSONPath values of the payload as parameters. */
    genericWebhook: GenericWebhookTrigger.optional(),
  })
  .default({});

export const MAX_ENV_ENTRIES = 1000;

const jobFields = {
  name: JobName,
  description: z.string().max(100_000).default(''),
  disabled: z.boolean().default(false),
  parameters: z.array(ParameterDefinition).max(200).default([]),
  /** A Jenkins label expression; empty = any agent. */
  label: LabelExpressionString.default(''),
  concurrentBuild: z.boolean().default(false),
  quietPeriod: z.number().int().min(0).max(86_400).default(0),
  /** At most MAX_ENV_ENTRIES, counted before each is checked: 50,000 of them took seconds on every read of the job. */
  env: z
    .unknown()
    .refine((v) => typeof v !== 'object' || v === null || Object.keys(v).length <= MAX_ENV_ENTRIES, `must have at most ${MAX_ENV_ENTRIES} variables`)
    .pipe(z.record(VariableName, z.string().max(100_000)))
    .default({}),
  /** Abort the build (result FAILURE) after this many minutes; fractions allowed (0.5 = 30 s). */
  timeoutMinutes: z.number().min(0.01).max(7 * 24 * 60).nullable().default(null),
  /** Source Code Management: checked out into the workspace before the first step. */
  scm: GitScm.nullable().default(null),
  /** "Use secret text(s) or file(s)" (credentials-binding): bound for every step, masked in the console. */
  credentialBindings: z.array(CredentialBinding).max(50).default([]),
  /** ssh-agent plugin: an ssh-agent holding these keys runs for the steps (SSH_AUTH_SOCK). */
  sshAgent: z.array(CredentialId).max(20).default([]),
  steps: z.array(BuildStep).max(200).default([]),
  /** Post-build actions, run in order once the build's result is final. */
  publishers: z.array(Publisher).max(100).default([]),
  buildDiscarder: BuildDiscarder.nullable().default(null),
  triggers: Triggers,
};

/** Parameter names are unique. */
function uniqueParameterNames(job: { parameters: { name: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  job.parameters.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', message: `duplicate parameter name '${p.name}'`, path: ['parameters', i, 'name'] });
    seen.add(p.name);
  });
}

export const Job = z.strictObject(jobFields).superRefine(uniqueParameterNames);
/**
 * A job document as stored: what Job accepted when it was saved. Bounds added since (the size of a
 * label expression or a cron spec) are not checked again, so such a job still reads and lists;
 * no agent matches its label (storedExpressionMatches) and the timer skips its spec.
 */
export const StoredJobDocument: z.ZodType<Job> = z
  .strictObject({ ...jobFields, label: z.string().default(''), triggers: Triggers.unwrap().extend({ cron: z.string().optional() }).default({}) })
  .superRefine(uniqueParameterNames);
export type Job = z.infer<typeof Job>;
export type JobInput = z.input<typeof Job>;
