-- List views (Jenkins' "List View"): named selections of jobs, shown as tabs on the home page.

-- A view: its listed jobs are in view_jobs; `include_regex` (a JavaScript regular expression,
-- matched against a job's whole name by the master) adds every job whose name matches.
CREATE TABLE views (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9_. -]{1,128}$' AND name NOT IN ('.', '..') AND lower(name) <> 'all'),
  description   text NOT NULL DEFAULT '',
  include_regex text CHECK (length(include_regex) <= 1000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Names are unique case-insensitively, like job names.
CREATE UNIQUE INDEX views_name_key ON views (lower(name));

-- The jobs a view lists, by id: renaming a job keeps it listed, deleting a job drops it.
CREATE TABLE view_jobs (
  view_id bigint NOT NULL REFERENCES views (id) ON DELETE CASCADE,
  job_id  bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  PRIMARY KEY (view_id, job_id)
);
CREATE INDEX view_jobs_job ON view_jobs (job_id);
