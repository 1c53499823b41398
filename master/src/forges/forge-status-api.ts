/**
 * The forges' commit status APIs, as each documents them: the request that sets one status.
 *   GitHub  POST {api}/repos/:owner/:repo/statuses/:sha   Authorization: Bearer <token>   {state, target_url, description, context}
 *   GitLab  POST {api}/projects/:id/statuses/:sha         PRIVATE-TOKEN: <token>          {state, target_url, description, name}
 *   Gitea   POST {api}/repos/:owner/:repo/statuses/:sha   Authorization: token <token>    {state, target_url, description, context}
 * `api` is the publisher's apiUrl, else derived from the repository's host (api.github.com,
 * https://host/api/v4, https://host/api/v1).
 */
import type { BuildResult } from '../../../shared/src/build.ts';

export type Forge = 'github' | 'gitlab' | 'gitea';
export type StatusEvent = 'pending' | BuildResult;

/** The repository's host and path (`owner/repo`, GitLab: `group/sub/project`), from any git URL form. */
export function repositoryPath(url: string): { host: string; path: string } {
  let host = '';
  let path: string;
  const scp = /^[^/@:]+@([^:/]+):(.*)$/.exec(url);
  if (scp) {
    host = scp[1]!;
    path = scp[2]!;
  } else if (URL.canParse(url)) {
    const u = new URL(url);
    host = u.hostname;
    path = decodeURIComponent(u.pathname);
  } else path = url;
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return { host, path };
}

function defaultApi(forge: Forge, host: string): string {
  if (forge === 'github') return host === 'github.com' || host === '' ? 'https://api.github.com' : `https://${host}/api/v3`;
  return `https://${host}/api/${forge === 'gitlab' ? 'v4' : 'v1'}`;
}

/** Each forge's word for the event (GitLab: pending, success, failed, canceled; the others: pending, success, failure, error). */
export function forgeState(forge: Forge, event: StatusEvent): string {
  if (event === 'pending') return 'pending';
  if (event === 'SUCCESS') return 'success';
  if (forge === 'gitlab') return event === 'ABORTED' || event === 'NOT_BUILT' ? 'canceled' : 'failed';
  return event === 'UNSTABLE' || event === 'FAILURE' ? 'failure' : 'error';
}

const DESCRIPTIONS: Record<StatusEvent, string> = {
  pending: 'Build started',
  SUCCESS: 'This commit looks good',
  UNSTABLE: 'This commit is unstable',
  FAILURE: 'This commit cannot be built',
  NOT_BUILT: 'This commit was not built',
  ABORTED: 'The build was aborted',
};

export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, string>;
}

export function statusRequest(o: { forge: Forge; apiUrl?: string | undefined; repositoryUrl: string; sha: string; event: StatusEvent; context: string; targetUrl: string; token: string }): StatusRequest {
  const { host, path } = repositoryPath(o.repositoryUrl);
  const api = (o.apiUrl ?? defaultApi(o.forge, host)).replace(/\/+$/, '');
  const sha = encodeURIComponent(o.sha);
  const state = forgeState(o.forge, o.event);
  const description = DESCRIPTIONS[o.event];
  const json = { 'content-type': 'application/json', 'user-agent': 'Jonkkins' };
  if (o.forge === 'gitlab') {
    return {
      url: `${api}/projects/${encodeURIComponent(path)}/statuses/${sha}`,
      headers: { ...json, 'private-token': o.token },
      body: { state, target_url: o.targetUrl, description, name: o.context },
    };
  }
  const [owner, repo] = ownerAndRepo(path);
  const repoPath = `${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  if (o.forge === 'github') {
    return {
      url: `${api}/repos/${repoPath}/statuses/${sha}`,
      headers: { ...json, authorization: `Bearer ${o.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      body: { state, target_url: o.targetUrl, description, context: o.context },
    };
  }
  return {
    url: `${api}/repos/${repoPath}/statuses/${sha}`,
    headers: { ...json, authorization: `token ${o.token}` },
    body: { state, target_url: o.targetUrl, description, context: o.context },
  };
}

function ownerAndRepo(path: string): [string, string] {
  const parts = path.split('/').filter(Boolean);
  if (parts.length < 2) throw new Error(`cannot tell the owner and repository from '${path}'`);
  return [parts.at(-2)!, parts.at(-1)!];
}
