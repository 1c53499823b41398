/**
 * The slack plugin's rules and words (jenkinsci/slack-plugin ActiveNotifier, MessageBuilder): which
 * builds post, and the message — Block Kit blocks with the same text as the plain fallback.
 */
import type { BuildResult } from '../../../shared/src/build.ts';
import type { SlackNotifierPublisher } from '../../../shared/src/notifications.ts';
import { previousResult, timeSpan, type BuildFacts } from './build-facts.ts';

/** A message for chat.postMessage or a webhook (without channel and thread: the sender adds them). */
export interface SlackMessage {
  text: string;
  blocks: object[];
  /** The attachment colour the plugin would use: good, warning, danger. */
  color: string;
}

/** Slack's mrkdwn control characters in a person's text: &, <, > (Slack's "Escaping text"). */
export function escapeMrkdwn(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** ActiveNotifier.completed: the result before, skipping ABORTED builds (none: SUCCESS). */
const slackPrevious = (facts: BuildFacts): BuildResult => previousResult(facts.previous, ['ABORTED']) ?? 'SUCCESS';

/** Does the end of this build post, by the publisher's checkboxes? */
export function endWanted(p: SlackNotifierPublisher, result: BuildResult, facts: BuildFacts): boolean {
  const previous = slackPrevious(facts);
  return (
    (result === 'ABORTED' && p.notifyAborted) ||
    (result === 'FAILURE' && previous !== 'FAILURE' && p.notifyFailure) ||
    (result === 'FAILURE' && previous === 'FAILURE' && p.notifyRepeatedFailure) ||
    (result === 'NOT_BUILT' && p.notifyNotBuilt) ||
    (result === 'SUCCESS' && (previous === 'FAILURE' || previous === 'UNSTABLE') && p.notifyBackToNormal) ||
    (result === 'SUCCESS' && p.notifySuccess) ||
    (result === 'UNSTABLE' && p.notifyUnstable)
  );
}

/** MessageBuilder.getStatusMessage. */
export function statusText(result: BuildResult, facts: BuildFacts): string {
  const previous = previousResult(facts.previous, ['ABORTED']);
  if (result === 'SUCCESS' && (previous === 'FAILURE' || previous === 'UNSTABLE')) return 'Back to normal';
  if (result === 'FAILURE' && previous === 'FAILURE') return 'Still Failing';
  if (result === 'UNSTABLE' && previous === 'UNSTABLE') return 'Still Unstable';
  return { SUCCESS: 'Success', FAILURE: 'Failure', ABORTED: 'Aborted', NOT_BUILT: 'Not built', UNSTABLE: 'Unstable' }[result];
}

const colorOf = (result: BuildResult | null): string => (result === 'SUCCESS' ? 'good' : result === 'FAILURE' ? 'danger' : result === null ? 'good' : 'warning');

const head = (facts: BuildFacts) => `${escapeMrkdwn(facts.job)} - #${facts.number}`;
const openLink = (facts: BuildFacts) => `(<${facts.url}|Open>)`;

/** ActiveNotifier.started: the cause, or who changed what. */
export function startMessage(p: SlackNotifierPublisher, facts: BuildFacts): SlackMessage {
  let line: string;
  if (facts.changes.length > 0) {
    const authors = [...new Set(facts.changes.map((c) => c.authorName))].map(escapeMrkdwn).join(', ');
    const files = new Set(facts.changes.flatMap((c) => c.paths)).size;
    line = `${head(facts)} Started by changes from ${authors} (${files} file(s) changed) ${openLink(facts)}`;
  } else {
    line = `${head(facts)} ${escapeMrkdwn(facts.cause)} ${openLink(facts)}`;
  }
  return compose([line, custom(p)], colorOf(null));
}

/** ActiveNotifier.completed's message: status, duration, link, custom message, commit list. */
export function endMessage(p: SlackNotifierPublisher, result: BuildResult, facts: BuildFacts): SlackMessage {
  const line = `${head(facts)} ${statusText(result, facts)} after ${timeSpan(facts.durationMs)} ${openLink(facts)}`;
  return compose([line, custom(p), commitList(p, facts)], colorOf(result));
}

const custom = (p: SlackNotifierPublisher) => (p.includeCustomMessage && p.customMessage.trim() !== '' ? escapeMrkdwn(p.customMessage) : '');

/** ActiveNotifier.getCommitList: "Changes:\n- title [author]", or "No Changes.". */
function commitList(p: SlackNotifierPublisher, facts: BuildFacts): string {
  if (p.commitInfo === 'none') return '';
  if (facts.changes.length === 0) return 'No Changes.';
  const lines = facts.changes.map((c) => (p.commitInfo === 'authorsAndTitles' ? `${escapeMrkdwn(c.title)} [${escapeMrkdwn(c.authorName)}]` : `[${escapeMrkdwn(c.authorName)}]`));
  return `Changes:\n- ${lines.join('\n- ')}`;
}

/** Slack caps a section's text at 3000 characters and a message's text at 40 000. */
const SECTION_MAX = 3000;

function compose(parts: string[], color: string): SlackMessage {
  const present = parts.filter((s) => s !== '');
  const text = present.join('\n').slice(0, 39_000);
  const blocks = present.map((s) => ({ type: 'section', text: { type: 'mrkdwn', text: s.length > SECTION_MAX ? `${s.slice(0, SECTION_MAX - 1)}…` : s } }));
  return { text, blocks, color };
}
