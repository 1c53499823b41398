-- Poll SCM: what each job's last poll saw of its repository (the heads of the branches it
-- watches, ref → sha) and that poll's log (Jenkins' "Git Polling Log" keeps the last one).
-- `claimed_minute` claims a poll tick, so several masters poll a job once per tick.
CREATE TABLE scm_polls (
  job_id bigint PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  heads jsonb NOT NULL DEFAULT '{}',
  log text NOT NULL DEFAULT '',
  polled_at timestamptz,
  claimed_minute timestamptz
);

-- The outbox: effects that leave the machine (commit statuses, notifications) written in the
-- transaction that decided them, and delivered after commit by any master. `dedupe_key` makes
-- each (build, event, target) one row; `ordering_key` delivers one build's rows in id order (a
-- final status never overtakes its pending one). A row is `due` until it is delivered or gives
-- up (`done`; kept a week for the record), retried at `next_attempt_at` with backoff.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  dedupe_key text NOT NULL UNIQUE,
  ordering_key text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'done')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'due';
CREATE INDEX outbox_ordering ON outbox (ordering_key, id) WHERE state = 'due';
