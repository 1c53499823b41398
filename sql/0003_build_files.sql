-- Files uploaded with a trigger for the job's file parameters; agents fetch them into the
-- workspace before the first step. They go with their build.
CREATE TABLE build_files (
  build_id   bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  -- the file parameter's name: also the file's path in the workspace
  parameter  text NOT NULL CHECK (parameter ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  -- the name it was uploaded under (the parameter's variable holds it)
  file_name  text NOT NULL,
  size       bigint NOT NULL CHECK (size >= 0),
  sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (build_id, parameter)
);

-- Their bytes, in chunks at offsets (streamed in and out; never whole in memory).
CREATE TABLE build_file_chunks (
  build_id     bigint NOT NULL,
  parameter    text NOT NULL,
  start_offset bigint NOT NULL CHECK (start_offset >= 0),
  data         bytea NOT NULL,
  PRIMARY KEY (build_id, parameter, start_offset),
  FOREIGN KEY (build_id, parameter) REFERENCES build_files (build_id, parameter) ON DELETE CASCADE
);
