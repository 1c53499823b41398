-- Artifacts a build archived (archiveArtifacts). The bytes are files on the master's disk at
-- <JONKKINS_HOME>/artifacts/<job id>/<build id>/<path>; a row exists only once its file is in place.
-- Rows go with their build; the code that deletes builds or jobs removes the files.
CREATE TABLE build_artifacts (
  build_id  bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  -- relative to the build's archive, checked by shared/src/workspace-path.ts
  path      text NOT NULL CHECK (path !~ '(^/|(^|/)\.\.?(/|$)|//)'),
  size      bigint NOT NULL CHECK (size >= 0),
  sha256    text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  stored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (build_id, path)
);
