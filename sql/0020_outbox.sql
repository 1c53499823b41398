-- The outbox: messages a build's change leaves for services outside (Slack, mail, a forge's commit
-- status). A row is written in the transaction that changes the build, so a message is neither
-- sent for a change that rolled back nor lost when the master stops between the commit and the
-- send; any master sends it later (master/src/outbox/). One row per (kind, build, event, target):
-- a build's event is sent at most once per recipient.
CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  -- which sender handles it: 'slack', 'mail', 'commitStatus', …
  kind            text NOT NULL,
  build_id        bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  -- what happened to the build: 'started', 'finished', …
  event           text NOT NULL,
  -- which recipient of that kind: a publisher's index, a commit status context… ('' when one)
  target          text NOT NULL DEFAULT '',
  -- what the sender needs, written when the event happened (never a secret: senders read those when sending)
  payload         jsonb NOT NULL,
  --   pending: not sent yet (or being sent: claimed_until in the future)
  --   sent:    the service took it
  --   failed:  the service refused it for good, or every attempt failed
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- a master sending it holds it until then; past it, another master may (the first one died)
  claimed_until   timestamptz,
  -- the service's answer to a sent row (a Slack message's channel and ts: later messages reply in its thread)
  answer          jsonb,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz,
  UNIQUE (kind, build_id, event, target)
);

-- The senders' hot path: due pending rows.
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE state = 'pending';
