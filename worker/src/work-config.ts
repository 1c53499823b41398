/**
 * Which queues this agent works: those whose label expression its labels plus its own name
 * satisfy (Jenkins: a node matches with its labels and its self-label). Queue "any" has the empty
 * expression and always matches. Pure, so the rule is easy to test.
 */
import type { WorkConfig } from '../../shared/src/agent-protocol.ts';
import { matchesLabels, parseLabelExpression } from '../../shared/src/label-expression.ts';

export interface QueueChoice {
  /** Names of the queues to work, in the master's order. */
  queues: string[];
  /** Queues whose expression did not parse (skipped; the master should not send them). */
  invalid: Array<{ name: string; error: string }>;
}

export function chooseQueues(config: WorkConfig, agentName: string): QueueChoice {
  const labels = nodeLabels(config.labels, agentName);
  const queues: string[] = [];
  const invalid: QueueChoice['invalid'] = [];
  for (const q of config.queues) {
    try {
      if (matchesLabels(parseLabelExpression(q.expression), labels)) queues.push(q.name);
    } catch (err) {
      invalid.push({ name: q.name, error: (err as Error).message });
    }
  }
  return { queues, invalid };
}

/** The agent's labels plus its own name, without repeats (NODE_LABELS, matching). */
export function nodeLabels(labels: readonly string[], agentName: string): string[] {
  return [...new Set([...labels, agentName])];
}

/** Whether two configs need a different Redis connection. */
export function sameRedis(a: WorkConfig, b: WorkConfig): boolean {
  return a.redis.url === b.redis.url && a.redis.prefix === b.redis.prefix;
}
