/**
 * The Jenkins-compatible API at Jenkins' own paths (reference §5–§6): adapters over the services
 * the native API uses. Each router parses, calls one service, and shapes the answer as Jenkins.
 */
import type Router from '@koa/router';
import { buildRoutes } from './build-routes.ts';
import type { JenkinsDeps } from './jenkins-deps.ts';
import { jobRoutes } from './job-routes.ts';
import { nodeRoutes } from './node-routes.ts';
import { queueRoutes } from './queue-routes.ts';
import { rootRoutes } from './root-routes.ts';
import { viewRoutes } from './view-routes.ts';

export type { JenkinsDeps } from './jenkins-deps.ts';

export function jenkinsRouters(deps: JenkinsDeps): Router[] {
  return [rootRoutes(deps), jobRoutes(deps), buildRoutes(deps), queueRoutes(deps), nodeRoutes(deps), viewRoutes(deps)];
}
