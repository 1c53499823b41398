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
