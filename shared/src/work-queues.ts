/**
 * Which queues an agent works: those whose label expression its labels plus its own name
 * satisfy (Jenkins: a node matches with its labels and its self-label). Queue "any" has the empty
 * expression and always matches. The agent uses it to choose what to fetch, the master to give the
 * agent's Redis user those queues' keys and no others. Pure, so the rule is easy to test.
 */
import { matchesLabels, parseLabelExpression } from './label-expression.ts';

export interface QueueChoice {
  /** Names of the queues to work, in the given order. */
  queues: string[];
  /** Queues whose expression did not parse (skipped; the master should not send them). */
  invalid: Array<{ name: string; error: string }>;
}

export function chooseQueues(queues: readonly { name: string; expression: string }[], labels: readonly string[], agentName: string): QueueChoice {
  const own = nodeLabels(labels, agentName);
  const chosen: string[] = [];
  const invalid: QueueChoice['invalid'] = [];
  for (const q of queues) {
    try {
      if (matchesLabels(parseLabelExpression(q.expression), own)) chosen.push(q.name);
    } catch (err) {
      invalid.push({ name: q.name, error: (err as Error).message });
    }
  }
  return { queues: chosen, invalid };
}

/** The agent's labels plus its own name, without repeats (NODE_LABELS, matching). */
export function nodeLabels(labels: readonly string[], agentName: string): string[] {
  return [...new Set([...labels, agentName])];
}
