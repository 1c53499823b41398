-- Docker builds (the dockerBuild step, shared/src/steps/docker-build-step.ts).
--
-- Labels an agent gives itself by probing its machine at start-up (AgentLoginRequest.probedLabels:
-- `docker` where a container CLI works), recorded at each login and added to the labels an admin
-- gave it wherever labels are matched. Only the values in the CHECK are accepted.
ALTER TABLE agents ADD COLUMN probed_labels text[] NOT NULL DEFAULT '{}' CHECK (probed_labels <@ ARRAY['docker']::text[]);

-- The images a build's dockerBuild steps pushed: one row per step (a resent report replaces it),
-- shown on the build page and in its JSON; deleted with the build.
CREATE TABLE build_docker_images (
  build_id   bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  -- the step's index in the job's steps
  step       integer NOT NULL CHECK (step >= 0 AND step < 200),
  -- registry host (if any) and repository, without a tag
  image      text NOT NULL CHECK (length(image) BETWEEN 1 AND 600),
  -- the tags pushed, after $VAR expansion
  tags       text[] NOT NULL CHECK (cardinality(tags) BETWEEN 1 AND 20),
  -- the manifest digest the registry stored
  digest     text NOT NULL CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
  pushed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (build_id, step)
);
