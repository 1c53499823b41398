/** The services the Jenkins-compatible API adapts: the same ones the native API and the UI call. */
import type { AgentWithExecutors } from '../../../shared/src/api-responses.ts';
import type { ArtifactsService } from '../artifacts/artifacts.ts';
import type { ApiTokensService } from '../auth/api-tokens.ts';
import type { BuildsService } from '../builds/builds.ts';
import type { ConsoleService } from '../console/console.ts';
import type { JobsService } from '../jobs/jobs.ts';
import type { UsersService } from '../users/users.ts';
import type { ViewsService } from '../views/views.ts';

export interface JenkinsDeps {
  jobs: JobsService;
  builds: BuildsService;
  consoles: ConsoleService;
  artifacts: ArtifactsService;
  views: ViewsService;
  users: UsersService;
  apiTokens: ApiTokensService;
  /** Every agent with what its executors run (the agents routes' answer). */
  agents: () => Promise<AgentWithExecutors[]>;
  signingKey: Buffer;
  /** Jenkins' root URL (ends in /): the `url` fields. */
  publicUrl: () => Promise<string>;
}
