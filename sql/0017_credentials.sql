-- Credentials (Jenkins' credentials plugin): secrets jobs bind by id (credentialBindings, sshAgent,
-- scm.credentialsId). Owned by master/src/credentials/credentials.ts.
--
-- The secret itself (shared/src/credentials.ts CredentialSecret, as JSON) is only in `sealed`:
-- AES-256-GCM under a key derived from the master's signing key (JONKKINS_SECRET), with the
-- credential's id authenticated beside it, so a sealed value copied to another row does not open.
-- `key_id` names the key that sealed it (README: "Rotating JONKKINS_SECRET").
CREATE TABLE credentials (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$'),
  -- secretText {secret}, usernamePassword {username, password}, sshPrivateKey {username,
  -- privateKey, passphrase?}, secretFile {fileName, content (base64)}
  kind        text NOT NULL CHECK (kind IN ('secretText', 'usernamePassword', 'sshPrivateKey', 'secretFile')),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
  -- Shown in lists (not secret): the user name of usernamePassword and sshPrivateKey, a secretFile's name.
  username    text,
  file_name   text,
  -- Job names or globs that may use it; NULL = every job.
  jobs        text[],
  sealed      text NOT NULL,
  key_id      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
