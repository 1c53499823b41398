-- Jobs, their builds (which double as queue items), and build consoles.

-- Freestyle jobs. `config` is the job document validated by shared/src/job.ts.
CREATE TABLE jobs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name              text NOT NULL CHECK (name ~ '^[A-Za-z0-9_. -]{1,128}$' AND name NOT IN ('.', '..')),
  config            jsonb NOT NULL,
  -- the number the next build to leave the queue gets; only ever grows (Jenkins' nextBuildNumber)
  next_build_number integer NOT NULL DEFAULT 1 CHECK (next_build_number >= 1),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX jobs_name_key ON jobs (lower(name));

-- One row per build request. Its id is also the queue item id (Jenkins' queueId).
CREATE TABLE builds (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id        bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  -- assigned when the build leaves the queue for an executor, so cancelled items use no number
  number        integer,
  -- queued: waiting for an executor; running: on an agent; finished: has a result; cancelled: left the queue unrun
  state         text NOT NULL CHECK (state IN ('queued', 'running', 'finished', 'cancelled')),
  result        text CHECK (result IN ('SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED')),
  -- why it was started: a list of shared/src/build.ts Cause objects
  causes        jsonb NOT NULL,
  -- parameter values by name; password values are encrypted (see master/src/builds/secrets.ts)
  parameters    jsonb NOT NULL DEFAULT '{}',
  -- the job's label expression when the build was queued
  label         text NOT NULL DEFAULT '',
  queued_at     timestamptz NOT NULL DEFAULT now(),
  -- end of the quiet period: no agent may start it before
  not_before    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  agent_name    text,
  executor      integer,
  workspace     text,
  -- when the job's timeoutMinutes runs out for this build (null: no timeout)
  timeout_at    timestamptz,
  -- set when an abort (or a timeout) was requested: the result the build ends with, and by whom
  abort_result  text CHECK (abort_result IN ('ABORTED', 'FAILURE')),
  abort_by      text,
  -- bytes of console stored so far (build_log_chunks)
  log_size      bigint NOT NULL DEFAULT 0,
  -- last time the agent running it was heard from (heartbeat, log, or start)
  agent_seen_at timestamptz,
  CHECK ((state IN ('queued', 'cancelled')) = (number IS NULL)),
  CHECK ((state = 'finished') = (result IS NOT NULL)),
  UNIQUE (job_id, number)
);
-- Hot paths: the queue and running builds; a job's history, newest first.
CREATE INDEX builds_active ON builds (job_id, id) WHERE state IN ('queued', 'running');
CREATE INDEX builds_history ON builds (job_id, number DESC) WHERE number IS NOT NULL;
CREATE INDEX builds_running_by_agent ON builds (agent_name) WHERE state = 'running';

-- The console: append-only byte chunks at their offsets (byte-exact; never held whole in memory).
CREATE TABLE build_log_chunks (
  build_id     bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  start_offset bigint NOT NULL CHECK (start_offset >= 0),
  data         bytea NOT NULL,
  PRIMARY KEY (build_id, start_offset)
);
