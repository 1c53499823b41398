-- Sessions of people: one row per login. A person's token names its session (the `sid` claim),
-- and a token is honoured only while that row exists, so that
--   * logging out (POST /logout) ends one session at once, not when its last token expires,
--   * a password change ends the person's other sessions,
--   * deleting a user ends all their sessions (ON DELETE CASCADE), and a new user who takes the
--     same name does not inherit them: the row names the account by id, not by name.
-- Renewing a token (POST /api/token) keeps the session. Rows older than the session maximum age
-- are of no use and are deleted when their owner logs in again.
CREATE TABLE sessions (
  id         uuid PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- when the person gave their password: the tokens' auth_time
  created_at timestamptz NOT NULL DEFAULT now()
);

-- "End every session of this user" (password change) and the clean-up at login.
CREATE INDEX sessions_user_id ON sessions (user_id);
