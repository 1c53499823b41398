-- People's API tokens (Jenkins' ApiTokenProperty): what scripts and Jenkins clients send as the
-- password of HTTP Basic (`user:token`). A token is 128 random bits shown once, at creation; only
-- its SHA-256 is kept — a random secret needs no slow hash, and every request that carries one
-- must be cheap to check (one indexed look-up, no argon2). A token belongs to an account by id:
-- deleting the user deletes its tokens (ON DELETE CASCADE), and a new account that takes the same
-- name gets none of them.
CREATE TABLE api_tokens (
  -- Jenkins' tokenUuid: how a token is named to revoke it
  uuid         uuid PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- sha256 of the token's value (32 bytes)
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  use_count    bigint NOT NULL DEFAULT 0
);

-- A user's tokens, for their page and the Jenkins token list.
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);
