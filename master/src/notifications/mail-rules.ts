/**
 * hudson.tasks.MailSender's rules: which builds mail, with which subject. A failure always; an
 * unstable build every time, or (notifyEveryUnstableBuild false) only the first after a success;
 * a success after a failure ("back to normal") or after an unstable build ("back to stable").
 * "The build before" skips ABORTED and NOT_BUILT builds, as MailSender's findPreviousBuildResult.
 */
import type { BuildResult } from '../../../shared/src/build.ts';
import type { MailerPublisher } from '../../../shared/src/notifications.ts';
import { previousResult, type BuildFacts } from './build-facts.ts';

/** The mail's subject, or null when this build mails nobody. */
export function mailSubject(p: MailerPublisher, result: BuildResult, facts: BuildFacts): string | null {
  const previous = previousResult(facts.previous, ['ABORTED', 'NOT_BUILT']);
  const name = `${facts.job} #${facts.number}`;
  switch (result) {
    case 'FAILURE':
      return `Build failed in Jonkkins: ${name}`;
    case 'UNSTABLE':
      if (!p.notifyEveryUnstableBuild && previous !== 'SUCCESS' && previous !== null) return null;
      if (previous === 'SUCCESS') return `Jonkkins build became unstable: ${name}`;
      if (previous === 'UNSTABLE') return `Jonkkins build is still unstable: ${name}`;
      return `Jonkkins build is unstable: ${name}`;
    case 'SUCCESS':
      if (previous === 'FAILURE') return `Jonkkins build is back to normal : ${name}`;
      if (previous === 'UNSTABLE') return `Jonkkins build is back to stable : ${name}`;
      return null;
    default:
      return null;
  }
}

/** The body: where to look, and what changed (MailSender's "See <url>" and change list). */
export function mailBody(facts: BuildFacts): string {
  const lines = [`See <${facts.url}>`, ''];
  if (facts.changes.length === 0) lines.push('No changes.');
  else {
    lines.push('Changes:', '');
    for (const c of facts.changes) lines.push(`[${c.authorName}] ${c.title}`, '', ...c.paths.map((p) => `  ${p}`), '');
  }
  lines.push('', `${facts.cause}`, `Duration: ${Math.round(facts.durationMs / 1000)} s`);
  return `${lines.join('\n')}\n`;
}
