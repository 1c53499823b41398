/**
 * Which repository a URL names, as the git plugin's notifyCommit compares them: the scheme, a user
 * name, a trailing `/` and `.git` are ignored, and the host's case. `https://git@Host/o/r.git/`,
 * `ssh://git@host/o/r`, `git@host:o/r.git` and `http://host/o/r` are one repository.
 */
export function repositoryKey(url: string): string {
  const trimmed = url.trim();
  const scp = /^(?:[^/@:]+@)?([^:/]+):(?!\/\/)(.*)$/.exec(trimmed);
  let host: string;
  let path: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    const rest = trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const slash = rest.indexOf('/');
    const authority = slash === -1 ? rest : rest.slice(0, slash);
    host = authority.replace(/^.*@/, '').replace(/:(22|80|443|9418)$/, '');
    path = slash === -1 ? '' : rest.slice(slash);
  } else if (scp && !trimmed.startsWith('/')) {
    host = scp[1]!;
    path = scp[2]!;
  } else {
    host = '';
    path = trimmed;
  }
  path = path.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '').replace(/^\/*/, '/').replace(/\/{2,}/g, '/');
  return `${host.toLowerCase()}${path}`;
}

/** Do two URLs name the same repository? */
export function sameRepository(a: string, b: string): boolean {
  return repositoryKey(a) === repositoryKey(b);
}
