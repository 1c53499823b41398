-- What a build checked out from its job's git repository (shared/src/scm.ts CheckoutReport), as its
-- agent reported it once the checkout was done: the commit and branch (GIT_COMMIT, GIT_BRANCH), and
-- the commits since that branch's previous build (the build's "Changes", Jenkins' changeSet).
-- The next build of the job reads the latest commit per branch from here (GIT_PREVIOUS_COMMIT,
-- GIT_PREVIOUS_SUCCESSFUL_COMMIT and where its change set starts). Written by master/src/scm/checkouts.ts.
CREATE TABLE build_checkouts (
  build_id     bigint PRIMARY KEY REFERENCES builds (id) ON DELETE CASCADE,
  -- the job, for the per-job lookups (a build never changes job)
  job_id       bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  -- the full commit id (SHA-1 or SHA-256)
  commit_id    text NOT NULL CHECK (commit_id ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  -- origin/main, refs/tags/v1, or detached
  branch       text NOT NULL CHECK (length(branch) BETWEEN 1 AND 256),
  remote_url   text NOT NULL CHECK (length(remote_url) <= 2048),
  -- ChangeSetItem[], newest first, at most MAX_CHANGES (the agent's bound, checked again here)
  changes      jsonb NOT NULL DEFAULT '[]',
  -- commits since the previous build that are not in `changes`
  more_changes integer NOT NULL DEFAULT 0 CHECK (more_changes >= 0),
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
-- A job's checkouts, newest build first (the next build's history; Recent Changes).
CREATE INDEX build_checkouts_by_job ON build_checkouts (job_id, build_id DESC);
