/**
 * What a notifier (Slack, mail, a forge's commit status) is told of a build's change, and what it
 * answers: messages for the outbox, written in the change's own transaction (lifecycle.ts's
 * `notify` effect). Notifiers live in their own folders and are handed to the lifecycle by app.ts,
 * so builds/ imports none of them.
 */
import type { DatabaseTransactionConnection } from 'slonik';
import type { BuildResult } from '../../../shared/src/build.ts';
import type { Job } from '../../../shared/src/job.ts';
import type { OutboxEntry } from '../outbox/outbox.ts';
import type { BuildRow } from './build-rows.ts';
import type { BuildNotice } from './build-transitions.ts';

export interface BuildChange {
  event: BuildNotice;
  /** The row as the change leaves it (a start's number and agent included; state and result not yet written). */
  row: BuildRow;
  job: Job;
  /** The build's result ('finished'), else null. */
  result: BuildResult | null;
  /** The public URL (ends in /): links to the build. */
  publicUrl: string;
}

export interface BuildNotifier {
  /** The messages `change` asks for (none is fine); reads only through `tx`. */
  messages(tx: DatabaseTransactionConnection, change: BuildChange): Promise<OutboxEntry[]>;
}
