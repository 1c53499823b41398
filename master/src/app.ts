/**
 * createApp(deps) builds the master's Koa application and never listens: main/server code does.
 * Everything it needs is passed in, so tests build it in-process against real services.
 */
import { randomBytes } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import serveStatic from 'koa-static';
import type { DatabasePool } from 'slonik';
import type { RawPool } from './db/raw-pool.ts';
import { AgentRedisAccess } from './agents/agent-redis.ts';
import { agentRoutes, agentsWithExecutors } from './agents/agent-routes.ts';
import { ApiTokensService } from './auth/api-tokens.ts';
import { basicAuthentication } from './auth/basic-auth.ts';
import { jenkinsRouters } from './jenkins/jenkins-routes.ts';
import { JENKINS_VERSION } from './jenkins/jenkins-http.ts';
import { isJenkinsApiGet, isJenkinsPath } from './jenkins/jenkins-paths.ts';
import { isJenkinsRemoteTrigger } from './jenkins/job-routes.ts';
import { AgentsService } from './agents/agents.ts';
import { authenticate } from './auth/authenticate.ts';
import { publicLoginRoutes, sessionRoutes } from './auth/login-routes.ts';
import { SessionsService } from './auth/sessions.ts';
import { LoginThrottle, type ThrottleLimits } from './auth/login-throttle.ts';
import { TokenIssuer } from './auth/tokens.ts';
import { downloadTicketRoutes, isTicketRequest, redeemDownloadTicket } from './downloads/download-ticket-routes.ts';
import { DownloadTickets } from './downloads/download-tickets.ts';
import { NotFoundError } from './errors.ts';
import { errorMiddleware } from './http/error-middleware.ts';
import { refuseUnstorableText } from './http/storable-text.ts';
import { closeAfterUnreadBody } from './http/unread-body.ts';
import { openApiDocument, routesOf, type Route } from './http/openapi.ts';
import type { Logger } from './log.ts';
import { SettingsService } from './settings/settings.ts';
import { setupRoutes, systemSettingsRoutes } from './settings/settings-routes.ts';
import { agentBuildRoutes } from './agents/agent-build-routes.ts';
import { agentArtifactRoutes, artifactRoutes, isArtifactUpload } from './artifacts/artifact-routes.ts';
import { ArtifactsService } from './artifacts/artifacts.ts';
import { AgentBuildsService } from './builds/agent-builds.ts';
import { AgentTriggersService } from './builds/agent-triggers.ts';
import { DockerImagesService } from './builds/docker-images.ts';
import { buildHistoryRoutes } from './builds/build-history.ts';
import { BuildsService } from './builds/builds.ts';
import { Dispatcher } from './builds/dispatcher.ts';
import { DownstreamTriggers } from './builds/downstream.ts';
import { credentialChoiceRoutes, credentialRoutes } from './credentials/credential-routes.ts';
import { CredentialsService } from './credentials/credentials.ts';
import { consoleReader } from './console/console-reader.ts';
import { ConsoleService } from './console/console.ts';
import { consoleRoutes } from './console/console-routes.ts';
import { BuildLifecycle } from './builds/lifecycle.ts';
import { BuildQueueing } from './builds/queueing.ts';
import { SecretBox } from './secret-box.ts';
import { EventBus } from './events/event-bus.ts';
import { cronRoutes } from './triggers/cron-routes.ts';
import { eventRoutes } from './events/event-routes.ts';
import { JobFilesService } from './jobs/job-files.ts';
import { jobRoutes } from './jobs/job-routes.ts';
import { isJobFileUpload, jobFileRoutes } from './jobs/job-file-routes.ts';
import { buildRoutes, isRemoteTrigger } from './builds/build-routes.ts';
import { queueRoutes } from './builds/queue-routes.ts';
import { JobsService } from './jobs/jobs.ts';
import { BuildQueue } from './queue/build-queue.ts';
import { userRoutes } from './users/user-routes.ts';
import { UsersService } from './users/users.ts';
import type { SetupCode } from './users/setup-code.ts';
import { viewRoutes } from './views/view-routes.ts';
import { ViewsService } from './views/views.ts';
import { Outbox, type OutboxOptions } from './outbox/outbox.ts';
import { COMMIT_STATUS, CommitStatusNotifier, CommitStatusSender, pendingOnCheckout, type CredentialReader } from './forges/commit-status.ts';
import { ScmPolling } from './scm/scm-polling.ts';
import { ScmPolls } from './scm/scm-polls.ts';
import { scmRoutes } from './scm/scm-routes.ts';
import { isWebhook, webhookRoutes } from './webhooks/webhook-routes.ts';
import { WebhooksService } from './webhooks/webhooks.ts';
import { consoleNote } from './notifications/console-note.ts';
import { consoleTail } from './notifications/console-tail.ts';
import { MAIL_KIND, MailNotifier } from './notifications/mail-notifier.ts';
import { notificationRoutes } from './notifications/notification-routes.ts';
import { NotificationTests } from './notifications/notification-tests.ts';
import { SLACK_KIND, SlackNotifier } from './notifications/slack-notifier.ts';
import { systemClock, type Clock } from './clock.ts';

export interface AppDeps {
  pool: DatabasePool;
  /** node-postgres' pool beside slonik's, for console uploads (COPY). */
  raw: RawPool;
  redis: Redis;
  /** Prefix of every Redis key this master writes (tests give each file its own). */
  redisPrefix: string;
  signingKey: Buffer;
  log: Logger;
  trustProxy: boolean;
  sessionMaxAgeSeconds: number;
  throttle?: ThrottleLimits;
  /** The master's one clock (clock.ts): every time decision reads it. Default: the real time. */
  now?: Clock;
  /** The web UI's files, served without a token (the API calls they make need one). */
  staticDir?: string;
  /** The configured public URL (ends in /), until an admin saves another in the System settings: BUILD_URL and friends. */
  publicUrl: string;
  /** The Redis URL agents reach the build queue at: without a user, each agent gets one of its own (agent-redis.ts). */
  agentRedisUrl: string;
  /** Where build artifacts are kept on disk (`$JONKKINS_HOME/artifacts`; tests give a temp dir). */
  artifactsDir: string;
  /** The largest artifact file an agent may upload (default MAX_ARTIFACT_BYTES, 1 GiB; tests set less). */
  maxArtifactBytes?: number;
  /** What creating the first admin needs on a master that listens beyond loopback (none: anyone reaching it may). */
  setupCode?: SetupCode;
  /** The outbox's retry and lease timings (tests shorten them). */
  outbox?: OutboxOptions;
  /** The git executable Poll SCM runs (JONKKINS_GIT; default `git`). */
  git?: string;
  /** Poll SCM may read file:// repositories on the master's disk (JONKKINS_ALLOW_LOCAL_CHECKOUT; default no). */
  allowLocalCheckout?: boolean;
}

/** The services behind the app, for the process that also runs maintenance timers. */
export interface AppServices {
  dispatcher: Dispatcher;
  agentBuilds: AgentBuildsService;
  queue: BuildQueue;
  events: EventBus;
  agents: AgentsService;
  users: UsersService;
  /** Pass to discardOldBuilds so discarded builds lose their artifact files too. */
  artifacts: ArtifactsService;
  builds: BuildsService;
  /** The credentials store: `secretFor(credentialsId, jobName)` for whoever needs a secret (credentials/credentials.ts). */
  credentials: CredentialsService;
  /** Every route of the app's routers (what /api/openapi.json documents). */
  routes: Route[];
  agentRedis: AgentRedisAccess;
  /** Messages for Slack, mail and forges: the maintenance timer sends what is due. */
  outbox: Outbox;
  /** Poll SCM: the server's minute timer calls tick. */
  scmPolling: ScmPolling;
  webhooks: WebhooksService;
  sessions: SessionsService;
  /** The clock every service reads (the maintenance loop and the cron scheduler read it too). */
  now: Clock;
}

export function createApp(deps: AppDeps): Koa & { services: AppServices } {
  const now = deps.now ?? systemClock;
  // Behind a proxy, the client is the address the nearest proxy saw: the last X-Forwarded-For
  // entry. Everything left of it was sent by the client, who may write anything there.
  const app = new Koa({ proxy: deps.trustProxy, maxIpsCount: 1 });
  app.silent = true; // errorMiddleware logs; Koa's default handler would print twice
  const secrets = new SecretBox(deps.signingKey);
  const settings = new SettingsService(deps.pool, { defaultPublicUrl: deps.publicUrl, now, secrets });
  const sessions = new SessionsService(deps.pool, deps.sessionMaxAgeSeconds, now);
  const users = new UsersService(deps.pool, settings, sessions, deps.setupCode);
  const agents = new AgentsService(deps.pool, now);
  const tokens = new TokenIssuer(deps.signingKey, now);
  const throttle = new LoginThrottle(deps.redis, deps.redisPrefix, deps.throttle);
  const credentials = new CredentialsService(deps.pool, deps.signingKey);
  const events = new EventBus(deps.redis, deps.redisPrefix, deps.log);
  // The artifacts service is made below (it needs the agent builds service): called once built.
  const jobs = new JobsService(deps.pool, secrets, { events, workConfigChanged: () => queue.announceWorkConfigChange(), removeArtifacts: (id) => artifacts.removeJob(id) });
  const jobFiles = new JobFilesService(deps.pool, jobs);
  const views = new ViewsService(deps.pool);
  const queue = new BuildQueue(deps.redis, `${deps.redisPrefix}bull`, deps.log);
  const dispatcher = new Dispatcher(deps.pool, queue, deps.log, now);
  const agentRedis = new AgentRedisAccess({ admin: deps.redis, agentUrl: deps.agentRedisUrl, queuePrefix: queue.prefix, signingKey: deps.signingKey, log: deps.log });
  const publicUrl = () => settings.publicUrl();
  const queueing = new BuildQueueing(secrets, now);
  const downstream = new DownstreamTriggers(jobs, queueing);
  // The copy check is the agent builds service's (it knows the build's spec); it is made below.
  const artifacts = new ArtifactsService({ pool: deps.pool, dir: deps.artifactsDir, log: deps.log, maxBytes: deps.maxArtifactBytes, copyCheck: (...a) => agentBuilds.checkCopySource(...a) });
  const outbox = new Outbox(deps.pool, deps.log, { now, ...deps.outbox });
  const commitStatus = new CommitStatusNotifier();
  const note = consoleNote(deps.pool, (buildId, size) => events.publish({ type: 'build.log', buildId, size }), outbox);
  const slack = new SlackNotifier({ settings, credentials, note });
  const mail = new MailNotifier({ settings, credentials, note, tail: consoleTail(deps.pool, consoleReader(deps.pool, deps.raw)) });
  outbox.register(SLACK_KIND, slack);
  outbox.register(MAIL_KIND, mail);
  const notificationTests = new NotificationTests({ credentials, publicUrl });
  const lifecycle = new BuildLifecycle({ pool: deps.pool, dispatcher, queue, events, downstream, secrets, publicUrl, artifacts, outbox, notifiers: [slack, mail, commitStatus], now });
  const builds = new BuildsService({ pool: deps.pool, jobs, queueing, lifecycle, now });
  const secretOf: CredentialReader = (id, jobName) => credentials.secretFor(id, jobName);
  outbox.register(COMMIT_STATUS, new CommitStatusSender({ credentials: secretOf, note }));
  const scmPolling = new ScmPolling({ pool: deps.pool, builds, polls: new ScmPolls(deps.pool), credentials: secretOf, git: deps.git ?? 'git', allowLocal: deps.allowLocalCheckout ?? false, log: deps.log, now });
  const webhooks = new WebhooksService({ polling: scmPolling, jobs, builds, settings, credentials: secretOf, redis: deps.redis, redisPrefix: deps.redisPrefix, log: deps.log });
  const consoles = new ConsoleService({ builds, reader: consoleReader(deps.pool, deps.raw), bus: events, now });
  const downloadTickets = new DownloadTickets(deps.redis, deps.redisPrefix);
  const agentBuilds = new AgentBuildsService({ pool: deps.pool, raw: deps.raw, secrets, credentials, publicUrl, log: deps.log, lifecycle, jobs, checkedOut: pendingOnCheckout(commitStatus, outbox), now });
  const agentTriggers = new AgentTriggersService({ pool: deps.pool, downstream, lifecycle, secrets, publicUrl });
  const dockerImages = new DockerImagesService(deps.pool);
  const apiTokens = new ApiTokensService(deps.pool);

  app.use(closeAfterUnreadBody);
  app.use(errorMiddleware(deps.log));
  app.use(securityHeaders);
  const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: '1mb', encoding: 'utf-8' });
  // Jenkins' paths take forms (buildWithParameters, createView) and config.xml as text, bounded too.
  const parseJenkins = bodyParser({ enableTypes: ['json', 'form', 'xml'], jsonLimit: '1mb', formLimit: '1mb', xmlLimit: '2mb', encoding: 'utf-8' });
  app.use((ctx, next) => (isJobFileUpload(ctx) || isArtifactUpload(ctx) || isWebhook(ctx) ? next() : isJenkinsPath(ctx.path) ? parseJenkins(ctx, next) : parseJson(ctx, next)));
  app.use(refuseUnstorableText);

  const open = new Router();
  open.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  app.use(open.routes());
  // Forges' push notifications, at Jenkins' paths: no login (each checks its token or signature), before the UI's files.
  const hooks = webhookRoutes(webhooks);
  app.use(hooks.routes()).use(hooks.allowedMethods());
  if (deps.staticDir) app.use(staticFiles(deps.staticDir));
  // The root answers anyone, UI or not: Jenkins clients read X-Jenkins from it (python-jenkins' get_version, before it logs in).
  app.use((ctx, next) => {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.type = 'text/plain';
    ctx.body = 'Jonkkins\n';
  });
  const login = publicLoginRoutes({ users, agents, tokens, sessions, throttle, now, events, sessionStarted: async (agent, sid) => void (await agentBuilds.sessionStarted(agent, sid)) });
  app.use(login.routes()).use(login.allowedMethods());
  // Before authentication: the login page asks it, possibly still holding an expired token.
  const setup = setupRoutes(users, settings);
  app.use(setup.routes()).use(setup.allowedMethods());

  // A download link (`?ticket=`) stands in for the token on the one GET it was issued for.
  app.use(redeemDownloadTicket(downloadTickets, sessions, now));
  // HTTP Basic (user:API token, or user:password under the login throttle) for scripts and Jenkins clients.
  app.use(basicAuthentication({ tokens: apiTokens, checkPassword: (u, p) => users.authenticate(u, p), throttle, signingKey: deps.signingKey, now }));
  // Everything below needs a valid token, except registering a user (first user / self sign-up).
  for (const mw of authenticate({
    key: deps.signingKey,
    pool: deps.pool,
    sessions,
    sessionMaxAgeSeconds: deps.sessionMaxAgeSeconds,
    now,
    // Registering a user (first user, self sign-up), triggering a build with its remote token, and a download link (its ticket was redeemed above).
    allowAnonymous: (ctx) => (ctx.method === 'POST' && ctx.path === '/api/users') || isRemoteTrigger(ctx) || isJenkinsRemoteTrigger(ctx) || isTicketRequest(ctx),
  })) {
    app.use(mw);
  }
  const api = new Router();
  let document: object | undefined;
  api.get('/api/openapi.json', (ctx) => {
    ctx.body = document ??= openApiDocument(routes);
  });
  // The agents' routes first: they serve every build's start, console and finish, and each router
  // before them would be asked to match first.
  const routers = [
    agentBuildRoutes({ builds: agentBuilds, triggers: agentTriggers, dockerImages, agentRedis }),
    agentArtifactRoutes(artifacts),
    api,
    sessionRoutes({ tokens, sessions }),
    userRoutes(users, settings, throttle, apiTokens),
    systemSettingsRoutes(settings),
    notificationRoutes(settings, notificationTests),
    agentRoutes(agents, agentBuilds, deps.pool, events, () => queue.announceWorkConfigChange(), () => settings.publicUrl(), agentRedis),
    eventRoutes(events, now),
    consoleRoutes(consoles),
    cronRoutes(now),
    jobRoutes(jobs, views),
    scmRoutes(jobs, scmPolling),
    buildRoutes({ builds, jobs, artifacts, dockerImages }),
    queueRoutes(builds),
    jobFileRoutes(jobFiles),
    viewRoutes(views),
    credentialRoutes(credentials),
    credentialChoiceRoutes(credentials),
    artifactRoutes(artifacts, builds),
    downloadTicketRoutes(downloadTickets, builds),
    buildHistoryRoutes(deps.pool),
    ...jenkinsRouters({ jobs, builds, consoles, artifacts, views, users, apiTokens, signingKey: deps.signingKey, publicUrl, agents: async () => agentsWithExecutors(deps.pool, await agents.list()) }),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  const routes = routesOf([open, hooks, login, setup, ...routers]);
  return Object.assign(app, { services: { dispatcher, agentBuilds, queue, events, agents, users, artifacts, builds, credentials, routes, agentRedis, outbox, scmPolling, webhooks, sessions, now } });
}

/**
 * The web UI for GET/HEAD outside the API: hashed assets cached for a year, everything else
 * revalidated, and any other path answered with index.html (the UI routes it, whatever its name
 * holds: `/job/release.v1`, `/job/a..b/`). Only a missing file under /assets/ stays 404 (a script
 * answered with HTML would fail obscurely). GET /login is the login page: logging in is POST.
 * koa-send refuses paths that leave the folder.
 */
function staticFiles(dir: string): Koa.Middleware {
  const serve = serveStatic(dir, {
    index: 'index.html',
    hidden: false,
    setHeaders: (res, path) => res.setHeader('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  const indexHtml = serveStatic(dir, { index: 'index.html', setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') });
  return async (ctx, next) => {
    // GET /login is the UI's login page (a reload there, or a bookmark); POST /login is the API.
    const api = ctx.path.startsWith('/api/') || ctx.path === '/login-slave' || ctx.path === '/logout' || ctx.path === '/healthz' || isJenkinsApiGet(ctx.path, ctx.query);
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || api) return next();
    if (ctx.path !== '/login') await serve(ctx, async () => {});
    if (ctx.status === 404 && ctx.body == null && !ctx.path.startsWith('/assets/')) {
      const path = ctx.path;
      ctx.path = '/';
      await indexHtml(ctx, async () => {});
      ctx.path = path;
    }
    if (ctx.status === 404 && ctx.body == null) throw new NotFoundError(`No file ${ctx.path}`);
  };
}

/** Jenkins' X-Jenkins-Session: changes when the server restarts (clients use it to notice). */
const JENKINS_SESSION = randomBytes(4).toString('hex');

async function securityHeaders(ctx: Koa.Context, next: Koa.Next) {
  ctx.set('Content-Security-Policy', "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  // Jenkins clients read these on every answer (python-jenkins' get_version: X-Jenkins).
  ctx.set('X-Jenkins', JENKINS_VERSION);
  ctx.set('X-Jenkins-Session', JENKINS_SESSION);
  await next();
}
