-- Files attached to a job; every build of the job finds them in its workspace before its first step.
CREATE TABLE job_files (
  job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  -- workspace-relative path, checked by shared/src/workspace-path.ts
  path       text NOT NULL CHECK (path !~ '(^/|(^|/)\.\.?(/|$)|//)'),
  size       bigint NOT NULL CHECK (size >= 0),
  sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, path)
);

CREATE TABLE job_file_chunks (
  job_id       bigint NOT NULL,
  path         text NOT NULL,
  start_offset bigint NOT NULL CHECK (start_offset >= 0),
  data         bytea NOT NULL,
  PRIMARY KEY (job_id, path, start_offset),
  FOREIGN KEY (job_id, path) REFERENCES job_files (job_id, path) ON DELETE CASCADE
);
