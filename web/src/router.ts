/**
 * Client-side routes: Jenkins-like paths (`/job/<name>/<number>/`, so a build's BUILD_URL opens its
 * page). The server answers every non-API path with index.html; this module maps the path to a
 * page and owns navigation (history API, links inside shadow roots included).
 */
export interface Route {
  page: string;
  params: Record<string, string>;
}

/** Every page of the UI: path pattern, page, names of the captured parameters. */
export const ROUTES: readonly [RegExp, string, string[]][] = [
  [/^\/$/, 'home', []],
  [/^\/view\/([^/]+)\/?$/, 'home', ['view']],
  [/^\/view\/([^/]+)\/configure\/?$/, 'view-editor', ['view']],
  [/^\/new-view\/?$/, 'view-editor', []],
  [/^\/login\/?$/, 'login', []],
  [/^\/new-item\/?$/, 'new-item', []],
  [/^\/builds\/?$/, 'history', []],
  [/^\/people\/?$/, 'people', []],
  [/^\/user\/([^/]+)\/?$/, 'user', ['user']],
  [/^\/me\/password\/?$/, 'password', []],
  [/^\/manage\/?$/, 'manage', []],
  [/^\/manage\/(nodes|users|credentials|security|system|webhooks)\/?$/, 'manage', ['section']],
  [/^\/job\/([^/]+)\/?$/, 'job', ['job']],
  [/^\/job\/([^/]+)\/configure\/?$/, 'configure', ['job']],
  [/^\/job\/([^/]+)\/build\/?$/, 'build-form', ['job']],
  [/^\/job\/([^/]+)\/changes\/?$/, 'changes', ['job']],
  [/^\/job\/([^/]+)\/scmPollLog\/?$/, 'polling-log', ['job']],
  [/^\/job\/([^/]+)\/(\d+|lastBuild|lastCompletedBuild|lastSuccessfulBuild|lastStableBuild|lastUnstableBuild|lastFailedBuild|lastUnsuccessfulBuild)(?:\/console)?\/?$/, 'build', ['job', 'number']],
];

export function match(pathname: string): Route {
  for (const [re, page, names] of ROUTES) {
    const m = re.exec(pathname);
    if (!m) continue;
    try {
      return { page, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    } catch {
      break; // malformed %-escape
    }
  }
  return { page: 'not-found', params: {} };
}

export const jobUrl = (job: string) => `/job/${encodeURIComponent(job)}/`;
export const buildUrl = (job: string, n: number | string) => `/job/${encodeURIComponent(job)}/${n}/`;
export const viewUrl = (view: string) => `/view/${encodeURIComponent(view)}/`;
export const userUrl = (user: string) => `/user/${encodeURIComponent(user)}/`;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event('jk-navigate'));
  window.scrollTo(0, 0);
}

/** Same-origin link clicks (from any shadow root) navigate without a reload. */
export function interceptLinks(): void {
  window.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const anchor = e.composedPath().find((el): el is HTMLAnchorElement => el instanceof HTMLAnchorElement);
    if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
    if (anchor.pathname.startsWith('/api/')) return;
    e.preventDefault();
    if (anchor.pathname + anchor.search !== location.pathname + location.search) navigate(anchor.pathname + anchor.search + anchor.hash);
  });
  window.addEventListener('popstate', () => window.dispatchEvent(new Event('jk-navigate')));
}
