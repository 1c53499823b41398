-- Identity: the people who use Jonkkins, the agents that run builds, and instance-wide settings.

-- People. Usernames are unique case-insensitively (see users_username_key).
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{1,64}$'),
  full_name     text NOT NULL DEFAULT '',
  email         text,
  -- argon2id PHC string; the plain password is never stored
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  -- admin: manages users, agents and settings; user: defines and runs jobs
  role          text NOT NULL CHECK (role IN ('admin', 'user')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Agents: processes that log in with a name and a secret and run builds in their executors.
CREATE TABLE agents (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text NOT NULL CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
  description    text NOT NULL DEFAULT '',
  executors      integer NOT NULL CHECK (executors BETWEEN 1 AND 64),
  labels         text[] NOT NULL DEFAULT '{}',
  -- argon2id PHC string of the secret; the secret itself is shown once and never stored
  secret_hash    text NOT NULL CHECK (secret_hash LIKE '$argon2id$%'),
  -- bumped when the secret is regenerated: tokens carry it, so older tokens stop working
  secret_version integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz
);
CREATE UNIQUE INDEX agents_name_key ON agents (lower(name));

-- Instance-wide settings, one JSON document per key (e.g. 'security').
CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
