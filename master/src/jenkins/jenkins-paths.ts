/**
 * Which requests outside `/api/` are Jenkins' API rather than the UI's pages: Jenkins' paths and
 * the UI's share `/job/<name>/…`. Every method but GET and HEAD is the API (the UI is static
 * files); a GET or HEAD is the API when it asks for one of Jenkins' API suffixes below, or
 * triggers a build with the job's token. infra/nginx.conf sends the same requests to the master
 * (its `$jonkkins_api` map); the master's own static-file server leaves them to the routes.
 */

/** GET/HEAD paths that are Jenkins API calls (the rest are the UI's pages). */
export const JENKINS_API_PATHS = [
  /\/api\/(json|xml|python)\/?$/, // every object's api/json (root, job, build, queue item, node, view, user, crumb issuer…)
  /\/config\.xml$/, // jobs' and views' configuration
  /^\/job\/[^/]+\/buildWithParameters\/?$/, // GET with the job's token
  /^\/job\/[^/]+\/[^/]+\/(consoleText|logText\/progressive(Text|Html))$/,
  /^\/job\/[^/]+\/[^/]+\/(artifact\/.+|\*zip\*\/.+)$/,
];

/** `GET /job/<name>/build` is the UI's build form, unless it carries the job's remote token. */
const TOKEN_BUILD = /^\/job\/[^/]+\/build\/?$/;

export function isJenkinsApiGet(path: string, query: Record<string, unknown>): boolean {
  return JENKINS_API_PATHS.some((re) => re.test(path)) || (TOKEN_BUILD.test(path) && typeof query.token === 'string');
}

/** The master's own paths outside `/api/` (logins, logout, health): JSON only, as before Jenkins' paths. */
const NATIVE = new Set(['/login', '/login-slave', '/logout', '/healthz']);

/** Requests whose bodies may be Jenkins forms or XML (outside the native API and logins; root api/json). */
export function isJenkinsPath(path: string): boolean {
  if (NATIVE.has(path)) return false;
  return !path.startsWith('/api/') || /^\/api\/(json|xml|python)\/?$/.test(path);
}
