/** Jenkins' `why` for a queue item that waits for an executor (Queue$BuildableItem). */
import { z } from 'zod';
import { LabelExpressionError, labelAtoms, matchesLabels, parseLabelExpression, type LabelExpr } from '../../../shared/src/label-expression.ts';
import type { BusyBuild } from './awaited.ts';

export const QueueAgent = z.object({ name: z.string(), labels: z.array(z.string()), executors: z.number(), online: z.boolean() });
export type QueueAgent = z.infer<typeof QueueAgent>;

/**
 * Why an item whose label is `label` waits: no such nodes, all offline, or the next available
 * executor. When every executor of every online node that could run it is held by a build waiting
 * for downstream builds (a blocking trigger step), it says so and names them: such a queue may
 * never move by itself (A waits for B, and B needs A's executor).
 */
export function executorWhy(label: string, agents: readonly QueueAgent[], busy: readonly BusyBuild[]): string {
  let expr: LabelExpr | null;
  try {
    expr = parseLabelExpression(label);
  } catch (error) {
    // Stored before the parser's bounds: no node can take it, and the queue page says why.
    if (error instanceof LabelExpressionError) return `No node can run it: ${error.message}`;
    throw error;
  }
  const matching = expr ? agents.filter((a) => matchesLabels(expr, [...a.labels, a.name])) : agents;
  const shown = expr ? (labelAtoms(expr).length === 1 ? labelAtoms(expr)[0]! : label) : undefined;
  if (!shown) {
    if (!agents.some((a) => a.online)) return 'All nodes are offline';
  } else {
    if (matching.length === 0) return `There are no nodes with the label ‘${shown}’`;
    if (!matching.some((a) => a.online)) return `All nodes of label ‘${shown}’ are offline`;
  }
  const waiting = waitingHolders(matching.filter((a) => a.online), busy);
  const base = shown ? `Waiting for next available executor on ‘${shown}’` : 'Waiting for next available executor';
  return waiting ? `${base} (all executors are busy with builds waiting for downstream builds: ${waiting.join(', ')})` : base;
}

/** "A #3" for each build holding these agents' executors, when every executor is held by a waiting build; else null. */
function waitingHolders(agents: readonly QueueAgent[], busy: readonly BusyBuild[]): string[] | null {
  const holders: string[] = [];
  for (const agent of agents) {
    const on = busy.filter((b) => b.agent === agent.name);
    if (on.length < agent.executors || !on.every((b) => b.waiting)) return null;
    holders.push(...on.map((b) => `${b.job} #${b.number}`));
  }
  return holders.length > 0 ? holders : null;
}
