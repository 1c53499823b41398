/**
 * The OpenAPI 3.1 document served at /api/openapi.json. Its paths are the routes the app's
 * routers really have (routesOf), each described by its entry below; request and response
 * schemas are the shared zod schemas the API validates and answers with (the step kinds' from
 * their registry), so the document cannot drift from the code: test/master/openapi.test.ts fails
 * when a route has no entry or an entry no route.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import * as protocol from '../../../shared/src/agent-protocol.ts';
import * as api from '../../../shared/src/api-responses.ts';
import * as id from '../../../shared/src/identity.ts';
import { CredentialChoice, CredentialInput, CredentialMetadata, CredentialUpdate } from '../../../shared/src/credentials.ts';
import { Job } from '../../../shared/src/job.ts';
import * as scm from '../../../shared/src/scm.ts';
import { SetupInfo, SystemSettings, WebhookSettings } from '../../../shared/src/settings.ts';
import * as notifications from '../../../shared/src/notifications.ts';
import { BuildStep, buildStepJsonSchema } from '../../../shared/src/step-kinds.ts';
import { View } from '../../../shared/src/view.ts';

const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const schemas = {
  Error: ErrorBody,
  RegisterUserRequest: id.RegisterUserRequest,
  UpdateUserRequest: id.UpdateUserRequest,
  LoginRequest: id.LoginRequest,
  AgentLoginRequest: protocol.AgentLoginRequest,
  User: id.User,
  RegisterAgentRequest: id.RegisterAgentRequest,
  UpdateAgentRequest: id.UpdateAgentRequest,
  Agent: id.Agent,
  RegisteredAgent: id.RegisteredAgent,
  SecuritySettings: id.SecuritySettings,
  WhoAmI: id.WhoAmI,
  Job,
  JobDetails: api.JobDetails,
  JobSummary: api.JobSummary,
  Build: api.Build,
  QueueItem: api.QueueItem,
  AgentWithExecutors: api.AgentWithExecutors,
  View,
  CredentialInput,
  CredentialUpdate,
  CredentialMetadata,
  CredentialChoice,
  SetupInfo,
  SystemSettings,
  WebhookSettings,
  NotificationSettings: notifications.NotificationSettings,
  SlackTestRequest: notifications.SlackTestRequest,
  MailTestRequest: notifications.MailTestRequest,
  NotificationTestResult: notifications.NotificationTestResult,
  TriggerRequest: z.object({ parameters: z.record(z.string(), z.unknown()).optional() }),
  WorkConfig: protocol.WorkConfig,
  StartRequest: protocol.StartRequest,
  BuildSpec: protocol.BuildSpec,
  BuildControl: protocol.BuildControl,
  FinishRequest: protocol.FinishRequest,
  Artifact: protocol.Artifact,
  CopyArtifactsSource: protocol.CopyArtifactsSource,
  AgentTriggerRequest: protocol.TriggerRequest,
  TriggerAnswer: protocol.TriggerAnswer,
  AwaitedBuilds: protocol.AwaitedBuilds,
  CheckoutReport: scm.CheckoutReport,
  RecentChanges: api.RecentChanges,
};

const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof schemas) => ({ content: { 'application/json': { schema: ref(name) } } });
const list = (key: string, name: keyof typeof schemas) => ({
  content: { 'application/json': { schema: { type: 'object', properties: { [key]: { type: 'array', items: ref(name) } } } } },
});
const tokenAnswer = {
  description: 'The token, also in the Authorization header as `Bearer <token>`',
  headers: { Authorization: { schema: { type: 'string' } } },
  content: { 'text/plain': { schema: { type: 'string' } } },
};
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { description: `Error ${c}`, ...json('Error') }]));
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const anonymous = { security: [] };
const webhookAnswer = { description: 'What was scheduled, one line per job', content: { 'text/plain': { schema: { type: 'string' } } } };

/** What each route does, by OpenAPI path and method. */
const operations: Record<string, Record<string, unknown>> = {
  '/healthz': { get: { summary: 'Liveness', ...anonymous, responses: { 200: { description: 'OK' } } } },
  '/login': { post: { summary: 'Log in a person', ...anonymous, requestBody: json('LoginRequest'), responses: { 200: tokenAnswer, ...errors(400, 401, 429) } } },
  '/login-slave': { post: { summary: 'Log in an agent', ...anonymous, requestBody: json('AgentLoginRequest'), responses: { 200: tokenAnswer, ...errors(400, 401, 429) } } },
  '/api/token': { post: { summary: 'Renew a still-valid token (same session)', responses: { 200: tokenAnswer, ...errors(401) } } },
  '/logout': { post: { summary: 'End this session: none of its tokens works again (people only)', responses: { 204: { description: 'Logged out' }, ...errors(401, 403) } } },
  '/api/whoami': { get: { summary: 'Who the token belongs to', responses: { 200: { description: 'OK', ...json('WhoAmI') }, ...errors(401) } } },
  '/api/users': {
    get: { summary: 'The People list', responses: { 200: { description: 'OK', ...list('users', 'User') }, ...errors(401, 403) } },
    post: {
      summary: 'Register a user (anonymous for the first user, who becomes admin, or with self sign-up)',
      security: [{ bearer: [] }, {}],
      requestBody: json('RegisterUserRequest'),
      responses: { 201: { description: 'Created', ...json('User') }, ...errors(400, 401, 403, 409) },
    },
  },
  '/api/users/{username}': {
    parameters: [pathParam('username')],
    get: { summary: 'One user', responses: { 200: { description: 'OK', ...json('User') }, ...errors(401, 403, 404) } },
    patch: { summary: 'Change a user (self, or admin)', requestBody: json('UpdateUserRequest'), responses: { 200: { description: 'OK', ...json('User') }, ...errors(400, 401, 403, 404, 409) } },
    delete: { summary: 'Delete a user (admin)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409) } },
  },
  '/api/settings/security': {
    get: { summary: 'Security settings (admin)', responses: { 200: { description: 'OK', ...json('SecuritySettings') }, ...errors(401, 403) } },
    put: { summary: 'Change security settings (admin)', requestBody: json('SecuritySettings'), responses: { 200: { description: 'OK', ...json('SecuritySettings') }, ...errors(400, 401, 403) } },
  },
  '/api/agents': {
    get: { summary: 'Agents with their status and executors', responses: { 200: { description: 'OK', ...list('agents', 'AgentWithExecutors') }, ...errors(401, 403) } },
    post: { summary: 'Register an agent (admin); the secret is shown only here', requestBody: json('RegisterAgentRequest'), responses: { 201: { description: 'Created', ...json('RegisteredAgent') }, ...errors(400, 401, 403, 409) } },
  },
  '/api/agents/{name}': {
    parameters: [pathParam('name')],
    get: { summary: 'One agent', responses: { 200: { description: 'OK', ...json('Agent') }, ...errors(401, 403, 404) } },
    patch: { summary: 'Change executors, labels or description (admin)', requestBody: json('UpdateAgentRequest'), responses: { 200: { description: 'OK', ...json('Agent') }, ...errors(400, 401, 403, 404) } },
    delete: { summary: 'Delete an agent (admin)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/api/agents/{name}/secret': {
    parameters: [pathParam('name')],
    post: { summary: 'Regenerate the secret (admin); the old one stops working', responses: { 200: { description: 'OK', ...json('RegisteredAgent') }, ...errors(401, 403, 404) } },
  },
  '/api/setup': { get: { summary: 'What the login page needs: whether the first admin is still to be created, whether self sign-up is on', ...anonymous, responses: { 200: { description: 'OK', ...json('SetupInfo') } } } },
  '/api/settings/webhooks': {
    get: { summary: 'Webhook settings: the GitHub and Gitea secret credentials, the notifyCommit access token as **** (admin)', responses: { 200: { description: 'OK', ...json('WebhookSettings') }, ...errors(401, 403) } },
    put: { summary: 'Change the webhook settings (admin); **** keeps the token', requestBody: json('WebhookSettings'), responses: { 200: { description: 'OK', ...json('WebhookSettings') }, ...errors(400, 401, 403) } },
  },
  '/api/jobs/{name}/scm-polling-log': {
    parameters: [pathParam('name')],
    get: { summary: "The job's last Poll SCM log (Jenkins' Git Polling Log)", responses: { 200: { description: 'The log', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(401, 404) } },
  },
  '/git/notifyCommit': {
    get: { summary: "Git plugin's notifyCommit: poll (or, with sha1, build) the Poll SCM jobs of url (?url=&branches=&sha1=&token=)", ...anonymous, responses: { 200: webhookAnswer, ...errors(400, 401, 403) } },
    post: { summary: "Git plugin's notifyCommit (POST, the same query)", ...anonymous, responses: { 200: webhookAnswer, ...errors(400, 401, 403) } },
  },
  '/github-webhook/': { post: { summary: 'GitHub push webhook (X-Hub-Signature-256; ping, push)', ...anonymous, responses: { 200: webhookAnswer, ...errors(400, 401, 403, 413) } } },
  '/github-webhook': { post: { summary: 'GitHub push webhook (without the trailing slash)', ...anonymous, responses: { 200: webhookAnswer, ...errors(400, 401, 403, 413) } } },
  '/gitea-webhook/post': { post: { summary: 'Gitea push webhook (X-Gitea-Signature)', ...anonymous, responses: { 200: webhookAnswer, ...errors(400, 401, 403, 413) } } },
  '/project/{job}': {
    parameters: [pathParam('job')],
    post: { summary: "GitLab push webhook for one job (X-Gitlab-Token: the job's secret token)", ...anonymous, responses: { 200: webhookAnswer, ...errors(400, 401, 403, 413) } },
  },
  '/generic-webhook-trigger/invoke': {
    get: { summary: 'Generic Webhook Trigger (?token=): builds the jobs with that token', ...anonymous, responses: { 200: { description: 'The jobs triggered' }, ...errors(400, 401, 403) } },
    post: { summary: 'Generic Webhook Trigger: JSONPath values of the payload become parameters', ...anonymous, responses: { 200: { description: 'The jobs triggered' }, ...errors(400, 401, 403, 413) } },
  },
  '/api/settings/notifications': {
    get: { summary: 'Slack and e-mail notification settings (admin)', responses: { 200: { description: 'OK', ...json('NotificationSettings') }, ...errors(401, 403) } },
    put: { summary: 'Change the Slack and e-mail notification settings (admin)', requestBody: json('NotificationSettings'), responses: { 200: { description: 'OK', ...json('NotificationSettings') }, ...errors(400, 401, 403) } },
  },
  '/api/settings/notifications/slack-test': {
    post: { summary: 'Send a Slack test message with these settings, not yet saved (admin)', requestBody: json('SlackTestRequest'), responses: { 200: { description: 'Sent, or what Slack said', ...json('NotificationTestResult') }, ...errors(400, 401, 403) } },
  },
  '/api/settings/notifications/mail-test': {
    post: { summary: 'Send a test e-mail with these settings, not yet saved (admin)', requestBody: json('MailTestRequest'), responses: { 200: { description: 'Sent, or what the SMTP server said', ...json('NotificationTestResult') }, ...errors(400, 401, 403) } },
  },
  '/api/settings/system': {
    get: { summary: 'System settings: the public URL (admin)', responses: { 200: { description: 'OK', ...json('SystemSettings') }, ...errors(401, 403) } },
    put: { summary: 'Change the system settings (admin)', requestBody: json('SystemSettings'), responses: { 200: { description: 'OK', ...json('SystemSettings') }, ...errors(400, 401, 403) } },
  },
  '/api/cron/preview': {
    get: {
      summary: "A cron spec's previous and next run for a job (?spec=, ?job=): Jenkins' \"would last have run / would next run\"",
      responses: { 200: { description: 'OK' }, ...errors(400, 401) },
    },
  },
  '/api/views': {
    get: { summary: 'List views', responses: { 200: { description: 'OK', ...list('views', 'View') }, ...errors(401, 403) } },
    post: { summary: 'Create a list view', requestBody: json('View'), responses: { 201: { description: 'Created', ...json('View') }, ...errors(400, 401, 403, 409) } },
  },
  '/api/views/{name}': {
    get: { summary: 'One view', responses: { 200: { description: 'OK', ...json('View') }, ...errors(401, 403, 404) } },
    put: { summary: 'Replace a view (may rename it)', requestBody: json('View'), responses: { 200: { description: 'OK', ...json('View') }, ...errors(400, 401, 403, 404, 409) } },
    delete: { summary: 'Delete a view', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/api/credentials': {
    get: { summary: 'Credentials (admin): metadata only, never a secret', responses: { 200: { description: 'OK', ...list('credentials', 'CredentialMetadata') }, ...errors(401, 403) } },
    post: { summary: 'Add a credential (admin); its secret is write-only', requestBody: json('CredentialInput'), responses: { 201: { description: 'Created', ...json('CredentialMetadata') }, ...errors(400, 401, 403, 409) } },
  },
  '/api/credential-choices': {
    get: {
      summary: "Ids, kinds and descriptions of the credentials a job may use (?job=), for its configure page's drop-downs (any person)",
      parameters: [{ name: 'job', in: 'query', required: false, schema: { type: 'string' } }],
      responses: { 200: { description: 'OK', ...list('credentials', 'CredentialChoice') }, ...errors(401, 403) },
    },
  },
  '/api/credentials/{id}': {
    get: { summary: "One credential's metadata (admin)", responses: { 200: { description: 'OK', ...json('CredentialMetadata') }, ...errors(401, 403, 404) } },
    put: {
      summary: 'Replace a credential (admin); secret fields left out keep their stored values while the kind stays the same',
      requestBody: json('CredentialUpdate'),
      responses: { 200: { description: 'OK', ...json('CredentialMetadata') }, ...errors(400, 401, 403, 404, 409) },
    },
    delete: { summary: 'Delete a credential (admin)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/api/jobs/{name}/files': { get: { summary: "The job's files (copied into every build's workspace): path, size, sha256", responses: { 200: { description: 'OK' }, ...errors(401, 403, 404) } } },
  '/api/jobs/{name}/files/{path}': {
    get: { summary: "One of the job's files (bytes)", responses: { 200: { description: 'Bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, ...errors(401, 403, 404) } },
    put: {
      summary: "Store one of the job's files (raw bytes): 201 when new, 200 when replaced",
      requestBody: { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      responses: { 200: { description: 'Replaced' }, 201: { description: 'Created' }, ...errors(400, 401, 403, 404, 413) },
    },
    delete: { summary: "Delete one of the job's files", responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/api/agent/builds/{id}/files/{parameter}': { get: { summary: "Agent: a file parameter's file of the build it runs (bytes)", responses: { 200: { description: 'Bytes' }, ...errors(403, 404, 409) } } },
  '/api/agent/builds/{id}/job-files/{path}': { get: { summary: "Agent: one of the job's files, for the build it runs (bytes)", responses: { 200: { description: 'Bytes' }, ...errors(403, 404, 409) } } },
  '/api/agent/heartbeat': { post: { summary: 'Agent heartbeat (agent token)', responses: { 204: { description: 'Recorded' }, ...errors(401, 403) } } },
  '/api/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OK' } } } },
  '/api/jobs': {
    get: {
      summary: 'Jobs with status, last builds and health (?view=: only a view\'s; ?includeRegex=: only those a view with it would add)',
      responses: { 200: { description: 'OK', ...list('jobs', 'JobSummary') }, ...errors(400, 401, 403, 404) },
    },
    post: { summary: 'Create a freestyle job', requestBody: json('Job'), responses: { 201: { description: 'Created', ...json('Job') }, ...errors(400, 401, 403, 409) } },
  },
  '/api/jobs/{name}': {
    parameters: [pathParam('name')],
    get: { summary: 'One job (password defaults shown as ****), with its upstream and downstream projects', responses: { 200: { description: 'OK', ...json('JobDetails') }, ...errors(401, 403, 404) } },
    put: { summary: 'Replace a job', requestBody: json('Job'), responses: { 200: { description: 'OK', ...json('Job') }, ...errors(400, 401, 403, 404, 409) } },
    delete: { summary: 'Delete a job and its builds', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/api/jobs/{name}/enable': { parameters: [pathParam('name')], post: { summary: 'Enable', responses: { 200: { description: 'OK', ...json('Job') } } } },
  '/api/jobs/{name}/disable': { parameters: [pathParam('name')], post: { summary: 'Disable', responses: { 200: { description: 'OK', ...json('Job') } } } },
  '/api/jobs/{name}/builds': {
    parameters: [pathParam('name')],
    get: { summary: 'Builds, newest first (?limit=1..500, default 50; ?before=<number>)', responses: { 200: { description: 'OK', ...list('builds', 'Build') }, ...errors(400, 401, 403, 404) } },
    post: { summary: 'Trigger a build: 201, Location of the queue item, {queueId}', requestBody: json('TriggerRequest'), responses: { 201: { description: 'Queued' }, ...errors(400, 401, 403, 404, 409) } },
  },
  '/api/jobs/{name}/changes': {
    parameters: [pathParam('name')],
    get: { summary: "Recent Changes: the change sets of the job's latest builds that checked out (?limit=, default 20, at most 50 builds; at most 100 commits each, the rest counted in `more`)", responses: { 200: { description: 'OK', ...json('RecentChanges') }, ...errors(400, 401, 404) } },
  },
  '/api/jobs/{name}/builds/{ref}': {
    parameters: [pathParam('name'), pathParam('ref')],
    get: { summary: 'One build by number or permalink (lastBuild, lastSuccessfulBuild, lastFailedBuild, lastCompletedBuild, …)', responses: { 200: { description: 'OK', ...json('Build') }, ...errors(401, 403, 404) } },
  },
  '/api/jobs/{name}/builds/{ref}/log': {
    parameters: [pathParam('name'), pathParam('ref')],
    get: {
      summary: 'Console from byte ?start= (X-Text-Size: next offset; X-More-Data: true while running); ?timestamps=true puts "[ISO time] " before each line',
      responses: { 200: { description: 'Bytes', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(400, 401, 403, 404) },
    },
  },
  '/api/jobs/{name}/builds/{ref}/timestamps': {
    parameters: [pathParam('name'), pathParam('ref')],
    get: {
      summary: "Each console line's time, as Timestamper's /timestamps/: ?time=<SimpleDateFormat>&timeZone=, ?elapsed=<pattern>, ?precision=, ?appendLog",
      responses: { 200: { description: 'Lines', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(400, 401, 403, 404) },
    },
  },
  '/api/jobs/{name}/builds/{ref}/console': {
    parameters: [pathParam('name'), pathParam('ref')],
    get: { summary: 'Console as server-sent events (log, end; with ?timestamps=true also time), resumable byte-exactly with ?start= or Last-Event-ID', responses: { 200: { description: 'text/event-stream' } } },
  },
  '/api/jobs/{name}/builds/{ref}/artifacts': {
    parameters: [pathParam('name'), pathParam('ref')],
    get: { summary: "The build's artifacts: path, size, sha256", responses: { 200: { description: 'OK', ...list('artifacts', 'Artifact') }, ...errors(401, 403, 404) } },
  },
  '/api/jobs/{name}/builds/{ref}/artifacts/{path}': {
    parameters: [pathParam('name'), pathParam('ref'), pathParam('path')],
    get: { summary: 'One artifact (bytes, as an attachment)', responses: { 200: { description: 'Bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, ...errors(400, 401, 403, 404) } },
  },
  '/api/jobs/{name}/builds/{ref}/artifacts.zip': {
    parameters: [pathParam('name'), pathParam('ref')],
    get: { summary: 'All artifacts as a zip (streamed); 404 without artifacts', responses: { 200: { description: 'Zip', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } }, ...errors(401, 403, 404) } },
  },
  '/api/jobs/{name}/builds/{ref}/abort': {
    parameters: [pathParam('name'), pathParam('ref')],
    post: { summary: 'Abort a running build (or cancel a queued one)', responses: { 202: { description: 'Aborting' }, ...errors(401, 403, 404, 409) } },
  },
  '/api/builds': { get: { summary: 'Build History: the builds of every job, newest first (?limit=1..500, ?before=<queue id>)', responses: { 200: { description: 'OK', ...list('builds', 'Build') }, ...errors(400, 401, 403) } } },
  '/api/download-tickets': {
    post: { summary: "A 60-second, single-use ticket for one download path (a console as text, an artifact, artifacts.zip): path?ticket=… then opens it once with GET", responses: { 201: { description: 'The ticket and the canonical path' }, ...errors(400, 401, 403, 404) } },
  },
  '/api/queue': { get: { summary: "The queue, each item with Jenkins' why", responses: { 200: { description: 'OK', ...list('items', 'QueueItem') } } } },
  '/api/queue/{id}': {
    parameters: [pathParam('id')],
    get: { summary: 'A queue item; once it left the queue, its build number or that it was cancelled', responses: { 200: { description: 'OK' }, ...errors(404) } },
    delete: { summary: 'Cancel a queued item', responses: { 204: { description: 'Cancelled' }, ...errors(404) } },
  },
  '/api/events': { get: { summary: 'Live events (server-sent events)', responses: { 200: { description: 'text/event-stream' } } } },
  '/api/agent/work-config': { get: { summary: 'Agent: where the queue is and which queues exist', responses: { 200: { description: 'OK', ...json('WorkConfig') } } } },
  '/api/agent/builds/{id}/start': {
    parameters: [pathParam('id')],
    post: { summary: 'Agent: start a queued build (exactly once)', requestBody: json('StartRequest'), responses: { 200: { description: 'OK', ...json('BuildSpec') }, ...errors(409) } },
  },
  '/api/agent/builds/{id}/log': {
    parameters: [pathParam('id'), { name: 'offset', in: 'query', required: true, schema: { type: 'integer' } }],
    post: {
      summary: 'Agent: console bytes at an offset (idempotent; a gap is a 409 with logSize)',
      requestBody: { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      responses: { 200: { description: 'OK', ...json('BuildControl') }, ...errors(403, 409) },
    },
  },
  '/api/agent/builds/{id}/ping': { parameters: [pathParam('id')], post: { summary: 'Agent: still running; should I abort?', responses: { 200: { description: 'OK', ...json('BuildControl') } } } },
  '/api/agent/builds/{id}/artifacts/{path}': {
    parameters: [pathParam('id'), pathParam('path')],
    put: {
      summary: 'Agent: store a file of the build it runs, before finish (raw bytes, up to 1 GiB)',
      requestBody: { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      responses: { 201: { description: 'Stored', ...json('Artifact') }, ...errors(400, 403, 409, 413) },
    },
  },
  '/api/agent/builds/{id}/copy-artifacts': {
    parameters: [pathParam('id'), { name: 'project', in: 'query', required: true, schema: { type: 'string' } }, { name: 'selector', in: 'query', required: true, schema: { type: 'string' } }],
    get: { summary: "Agent (copyArtifacts): a job's last successful build (or build ?selector=N) and its artifacts", responses: { 200: { description: 'OK', ...json('CopyArtifactsSource') }, ...errors(400, 403, 404, 409) } },
  },
  '/api/agent/builds/{id}/copy-artifacts/{job}/{number}/{path}': {
    parameters: [pathParam('id'), pathParam('job'), pathParam('number'), pathParam('path')],
    get: { summary: 'Agent (copyArtifacts): one artifact of another build, for the agent running build {id}', responses: { 200: { description: 'Bytes' }, ...errors(400, 403, 404, 409) } },
  },
  '/api/agent/builds/{id}/trigger': {
    parameters: [pathParam('id')],
    post: {
      summary: 'Agent (triggerBuilds step): queue the downstream builds of step {step} of running build {id}; with block, they are awaited by it',
      requestBody: json('AgentTriggerRequest'),
      responses: { 200: { description: 'OK', ...json('TriggerAnswer') }, ...errors(400, 403, 404, 409) },
    },
  },
  '/api/agent/builds/{id}/awaited': {
    parameters: [pathParam('id'), { name: 'ids', in: 'query', required: true, schema: { type: 'string' }, description: 'Comma-separated queue ids' }],
    get: { summary: 'Agent (blocking triggerBuilds step): where the builds that build {id} awaits are', responses: { 200: { description: 'OK', ...json('AwaitedBuilds') }, ...errors(400, 403, 404, 409) } },
  },
  '/api/agent/builds/{id}/checkout': {
    parameters: [pathParam('id')],
    post: { summary: 'Agent: what the build checked out (commit, branch, the commits since the previous build)', requestBody: json('CheckoutReport'), responses: { 204: { description: 'Recorded' }, ...errors(400, 403, 404, 409) } },
  },
  '/api/agent/builds/{id}/finish': {
    parameters: [pathParam('id')],
    post: { summary: 'Agent: the build is over', requestBody: json('FinishRequest'), responses: { 200: { description: 'OK' }, ...errors(403, 409) } },
  },
};

export interface Route {
  /** Lower case, as OpenAPI spells it. */
  method: string;
  /** OpenAPI style: `/api/jobs/{name}`. */
  path: string;
}

/** Every route of these routers (HEAD excepted: it answers with GET). */
export function routesOf(routers: readonly Router[]): Route[] {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((m) => ({ method: m.toLowerCase(), path: String(layer.path).replace(/[:*](\w+)/g, '{$1}') })),
    ),
  );
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Routes without an entry in the table, and entries without a route: both must be empty. */
export function documentationGaps(routes: readonly Route[]): { undocumented: Route[]; unrouted: Route[] } {
  const routed = new Set(routes.map((r) => `${r.method} ${r.path}`));
  const documented = Object.entries(operations).flatMap(([path, ops]) => METHODS.filter((m) => m in ops).map((method) => ({ method, path })));
  return {
    undocumented: routes.filter((r) => !operations[r.path]?.[r.method]),
    unrouted: documented.filter((d) => !routed.has(`${d.method} ${d.path}`)),
  };
}

/** Path parameters named by a path, for entries that do not describe their own. */
const pathParameters = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => pathParam(m[1]!));

/** The step kinds are looked up when a step is parsed: their JSON Schema comes from the registry. */
function jsonSchemaOf(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema !== (BuildStep as unknown)) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
      Object.assign(ctx.jsonSchema, buildStepJsonSchema('input'));
    },
  });
}

/** The document for these routes; an undocumented route is listed with `x-undocumented` (a test keeps that from happening). */
export function openApiDocument(routes: readonly Route[]): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path } of routes) {
    const entry = operations[path];
    paths[path] ??= { parameters: (entry?.parameters as unknown[] | undefined) ?? pathParameters(path) };
    paths[path]![method] = entry?.[method] ?? { summary: '(undocumented)', 'x-undocumented': true, responses: { default: { description: 'See the source' } } };
  }
  for (const item of Object.values(paths)) if ((item.parameters as unknown[]).length === 0) delete item.parameters;
  return {
    openapi: '3.1.0',
    info: { title: 'Jonkkins', version: '0.1.0', description: 'REST API of the Jonkkins CI/CD server. Errors are `{error: {code, message, details}}`.' },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(Object.entries(schemas).map(([k, s]) => [k, jsonSchemaOf(s)])),
    },
  };
}
