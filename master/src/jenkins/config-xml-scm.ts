/**
 * `<scm>` (the git plugin's GitSCM) and `<triggers>` (TimerTrigger, SCMTrigger,
 * ReverseBuildTrigger, the github plugin's GitHubPushTrigger, the gitlab plugin's secret token).
 */
import type { Job } from '../../../shared/src/job.ts';
import { attr, child, el, textOf, type XmlElement } from './xml-tree.ts';
import type { ReadContext } from './config-xml.ts';
import { defined } from './config-xml-values.ts';

const GIT = 'hudson.plugins.git.';
const EXT = `${GIT}extensions.impl.`;
const TRIGGER = {
  timer: 'hudson.triggers.TimerTrigger',
  poll: 'hudson.triggers.SCMTrigger',
  upstream: 'jenkins.triggers.ReverseBuildTrigger',
  github: 'com.cloudbees.jenkins.GitHubPushTrigger',
  gitlab: 'com.dabsquared.gitlabjenkins.GitLabPushTrigger',
};
/** A Secret another Jenkins encrypted: unreadable here, so kept as it was. */
const JENKINS_SECRET = /^\{[A-Za-z0-9+/]{20,}={0,2}\}$/;

export function readScm({ r, fail }: ReadContext, root: XmlElement): unknown {
  const scm = child(root, 'scm');
  const kind = scm && attr(scm, 'class');
  if (kind === 'hudson.scm.NullSCM') r.take(root, 'scm');
  if (!scm || kind !== `${GIT}GitSCM`) return null; // none, or another SCM: kept as it is
  r.take(root, 'scm');
  r.take(scm, 'configVersion');
  const remotesList = r.take(scm, 'userRemoteConfigs');
  const remotes = remotesList ? r.takeAll(remotesList, (e) => e.name === `${GIT}UserRemoteConfig`) : [];
  if (remotes.length !== 1) fail('<scm class="hudson.plugins.git.GitSCM">', `Jonkkins checks out exactly one repository, and this names ${remotes.length} (<userRemoteConfigs>)`);
  const remote = remotes[0]!;
  const out: Record<string, unknown> = { type: 'git', url: r.text(remote, 'url')?.trim() ?? '' };
  const credentialsId = r.text(remote, 'credentialsId')?.trim();
  if (credentialsId) out.credentialsId = credentialsId;
  const refspec = r.text(remote, 'refspec')?.trim();
  if (refspec) out.refspec = refspec;
  if (child(remote, 'name') && ['', 'origin'].includes(textOf(child(remote, 'name')!).trim())) r.take(remote, 'name');
  const branchList = r.take(scm, 'branches');
  if (branchList) {
    const branches = r.takeAll(branchList, (e) => e.name === `${GIT}BranchSpec`).map((b) => r.text(b, 'name')?.trim() ?? '');
    if (branches.length > 0) out.branches = branches;
  }
  const extensions = r.take(scm, 'extensions');
  if (extensions) {
    const clone = child(extensions, `${EXT}CloneOption`);
    if (clone && textOf(child(clone, 'shallow') ?? el('x')).trim() === 'true') {
      r.take(extensions, `${EXT}CloneOption`);
      r.take(clone, 'shallow');
      out.depth = r.int(clone, 'depth', (t) => fail(`<${EXT}CloneOption>/<depth>`, `must be a whole number, not '${t}'`)) || 1;
    }
    const submodules = child(extensions, `${EXT}SubmoduleOption`);
    if (submodules && textOf(child(submodules, 'disableSubmodules') ?? el('x')).trim() !== 'true') {
      r.take(extensions, `${EXT}SubmoduleOption`);
      r.take(submodules, 'disableSubmodules');
      r.take(submodules, 'recursiveSubmodules');
      out.submodules = true;
    }
    if (r.take(extensions, `${EXT}CleanBeforeCheckout`)) out.clean = true;
  }
  return out;
}

export function writeScm(job: Job): XmlElement | undefined {
  const scm = job.scm;
  if (!scm) return undefined;
  const remote = [el('url', scm.url), ...(scm.refspec ? [el('refspec', scm.refspec)] : []), ...(scm.credentialsId ? [el('credentialsId', scm.credentialsId)] : [])];
  const extensions: XmlElement[] = [];
  if (scm.depth) extensions.push(el(`${EXT}CloneOption`, [el('shallow', 'true'), el('depth', String(scm.depth))]));
  if (scm.submodules) extensions.push(el(`${EXT}SubmoduleOption`, [el('disableSubmodules', 'false'), el('recursiveSubmodules', 'true')]));
  if (scm.clean) extensions.push(el(`${EXT}CleanBeforeCheckout`));
  return el(
    'scm',
    [
      el('configVersion', '2'),
      el('userRemoteConfigs', [el(`${GIT}UserRemoteConfig`, remote)]),
      el('branches', scm.branches.map((b) => el(`${GIT}BranchSpec`, [el('name', b)]))),
      el('extensions', extensions),
    ],
    [['class', `${GIT}GitSCM`]],
  );
}

const thresholds = { SUCCESS: ['0', 'BLUE'], UNSTABLE: ['1', 'YELLOW'], FAILURE: ['2', 'RED'] } as const;

/** A `<threshold>` (Jenkins' Result), read by its name; one Jonkkins lacks (ABORTED) is refused. */
export function readThreshold({ r, fail }: ReadContext, parent: XmlElement, where: string): string | undefined {
  const threshold = r.take(parent, 'threshold');
  if (!threshold) return undefined;
  const name = r.text(threshold, 'name')?.trim() ?? '';
  if (!(name in thresholds)) fail(`${where}/<threshold>`, `'${name}' is not a threshold Jonkkins has (SUCCESS, UNSTABLE, FAILURE)`);
  for (const field of ['ordinal', 'color', 'completeBuild']) r.take(threshold, field);
  return name;
}

export function writeThreshold(name: keyof typeof thresholds): XmlElement {
  const [ordinal, color] = thresholds[name];
  return el('threshold', [el('name', name), el('ordinal', ordinal), el('color', color), el('completeBuild', 'true')]);
}

export function readTriggers(ctx: ReadContext, root: XmlElement): Record<string, unknown> {
  const { r } = ctx;
  const out: Record<string, unknown> = {};
  const triggers = child(root, 'triggers');
  if (!triggers) return out;
  const spec = (name: string) => {
    const trigger = child(triggers, name);
    const text = trigger && textOf(child(trigger, 'spec') ?? el('x')).trim();
    if (!trigger || !text) return undefined; // an empty Poll SCM spec (hooks only): kept as it is
    r.take(triggers, name);
    r.take(trigger, 'spec');
    return text;
  };
  const cron = spec(TRIGGER.timer);
  if (cron) out.cron = cron;
  const pollScm = spec(TRIGGER.poll);
  if (pollScm) out.pollScm = pollScm;
  const upstream = r.take(triggers, TRIGGER.upstream);
  if (upstream) {
    r.take(upstream, 'spec');
    const where = `<triggers>/<${TRIGGER.upstream}>`;
    out.upstream = defined({ projects: r.text(upstream, 'upstreamProjects')?.trim() ?? '', threshold: readThreshold(ctx, upstream, where) });
  }
  const github = r.take(triggers, TRIGGER.github);
  if (github) {
    r.take(github, 'spec');
    out.githubPush = true;
  }
  const gitlab = child(triggers, TRIGGER.gitlab);
  const secret = gitlab && textOf(child(gitlab, 'secretToken') ?? el('x')).trim();
  if (gitlab && secret && !JENKINS_SECRET.test(secret)) {
    r.take(triggers, TRIGGER.gitlab);
    r.take(gitlab, 'secretToken');
    out.gitlabSecretToken = secret;
  }
  return out;
}

export function writeTriggers(job: Job): XmlElement {
  const t = job.triggers;
  const triggers: XmlElement[] = [];
  if (t.upstream) triggers.push(el(TRIGGER.upstream, [el('spec'), el('upstreamProjects', t.upstream.projects), writeThreshold(t.upstream.threshold)]));
  if (t.cron) triggers.push(el(TRIGGER.timer, [el('spec', t.cron)]));
  if (t.pollScm) triggers.push(el(TRIGGER.poll, [el('spec', t.pollScm)]));
  if (t.githubPush) triggers.push(el(TRIGGER.github, [el('spec')]));
  if (t.gitlabSecretToken) triggers.push(el(TRIGGER.gitlab, [el('secretToken', t.gitlabSecretToken)]));
  return el('triggers', triggers);
}
