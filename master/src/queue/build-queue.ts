/**
 * The producer side of the build queue: one BullMQ queue per distinct label expression (`any` for
 * jobs with none). A queue job carries only {buildId}: PostgreSQL is the truth, so re-adding a
 * build that is already on the queue is harmless (its queue job id is fixed) and Redis can be
 * refilled from PostgreSQL at any time.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { LabelExpressionError, formatLabelExpression, parseLabelExpression } from '../../../shared/src/label-expression.ts';
import { workConfigChannel, type QueueJobData } from '../../../shared/src/agent-protocol.ts';
import type { Logger } from '../log.ts';

export const ANY_QUEUE = 'any';

/** Label expressions seen, with their queue: every enqueue asks (parsing and hashing each time showed in profiles). */
const queueNames = new Map<string, { name: string; servable: boolean }>();
const QUEUE_NAMES_KEPT = 10_000;

function queueOf(label: string): { name: string; servable: boolean } {
  let queue = queueNames.get(label);
  if (queue !== undefined) return queue;
  try {
    const canonical = formatLabelExpression(parseLabelExpression(label));
    queue = { name: canonical === '' ? ANY_QUEUE : `label-${sha(canonical)}`, servable: true };
  } catch (error) {
    if (!(error instanceof LabelExpressionError)) throw error;
    // Stored before the parser's bounds: its builds keep a queue of their own that no agent is told about.
    queue = { name: `label-invalid-${sha(label)}`, servable: false };
  }
  if (queueNames.size >= QUEUE_NAMES_KEPT) queueNames.clear();
  queueNames.set(label, queue);
  return queue;
}
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 20);

/** The queue of a label expression: `any`, or a name derived from its canonical form. */
export function queueNameFor(label: string): string {
  return queueOf(label).name;
}

/** The queue agents are told about for a label expression; null when no agent can serve it (it does not parse). */
export function servableQueueName(label: string): string | null {
  const queue = queueOf(label);
  return queue.servable ? queue.name : null;
}

export class BuildQueue {
  readonly #connection: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #queues = new Map<string, Queue<QueueJobData>>();

  /** `prefix` is BullMQ's key prefix (tests give each file its own). */
  constructor(connection: Redis, prefix: string, log: Logger) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#log = log;
  }

  get prefix(): string {
    return this.#prefix;
  }

  #queue(name: string): Queue<QueueJobData> {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue<QueueJobData>(name, { connection: this.#connection, prefix: this.#prefix });
      queue.on('error', (err) => this.#log.warn({ err: err.message, queue: name }, 'build queue problem'));
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Puts a build on its label's queue (no-op if it is there already), due after `delayMs`. */
  async enqueue(buildId: number, label: string, delayMs = 0): Promise<void> {
    await this.#queue(queueNameFor(label)).add(
      'build',
      { buildId },
      {
        jobId: `build-${buildId}`,
        delay: Math.max(0, delayMs),
        attempts: 1, // a build never silently runs twice: no retries
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600, count: 1000 },
      },
    );
  }

  /**
   * Which of these builds have no job on their queue: never added, taken and let go by an agent,
   * or lost with Redis's data. One pipeline of EXISTS — cheap next to re-adding every queued build,
   * which is what a sweep did, every few seconds, for each of up to thousands of builds.
   */
  async missing(builds: readonly { id: number; label: string }[]): Promise<number[]> {
    if (builds.length === 0) return [];
    const pipeline = this.#connection.pipeline();
    for (const b of builds) pipeline.exists(this.#queue(queueNameFor(b.label)).toKey(`build-${b.id}`));
    const answers = (await pipeline.exec()) ?? [];
    // An answer that is not a plain 1 counts as missing: adding again is always safe (it is idempotent).
    return builds.filter((_, i) => answers[i]?.[0] !== null || answers[i]?.[1] !== 1).map((b) => b.id);
  }

  /** Takes a build off the queue if it is still waiting there (cancelled before an agent took it). */
  async remove(buildId: number, label: string): Promise<void> {
    await this.#queue(queueNameFor(label))
      .remove(`build-${buildId}`)
      .catch(() => {}); // locked by an agent that is starting it: its start call will be refused
  }

  /** Tells agents to re-read their work config now (a queue may have appeared). Best effort. */
  announceWorkConfigChange(): void {
    this.#connection.publish(workConfigChannel(this.#prefix), 'changed').catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
  }
}
