-- A blocking "Trigger/call builds on other projects" build step waits for the builds it queued.
-- Each such downstream build names the build waiting for it, so that
--   * the agent running the waiting build may ask about these builds, and only these,
--   * the queue can say that executors are held by builds waiting for downstream builds,
--   * a waiting build that ends early (aborted, timed out, agent lost) aborts what it waited for.
ALTER TABLE builds ADD COLUMN awaited_by bigint REFERENCES builds (id) ON DELETE SET NULL;

-- Hot path: "is this running build waiting?" and "what does it wait for?".
CREATE INDEX builds_awaited_by ON builds (awaited_by) WHERE awaited_by IS NOT NULL;

-- The answer each trigger step of a build got, so that a request the agent resends (it never
-- heard the answer: the master restarted, the network dropped) gets the same answer instead of
-- triggering the downstream builds twice. A step runs once per build.
CREATE TABLE build_step_triggers (
  build_id  bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  -- the step's index in the job's steps
  step      integer NOT NULL CHECK (step >= 0),
  -- shared/src/agent-protocol.ts TriggerAnswer
  answer    jsonb NOT NULL,
  PRIMARY KEY (build_id, step)
);
