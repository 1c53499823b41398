-- A build belongs to one agent *session* (one run of the agent process), not to its name: a
-- heartbeat refreshes only its own session's builds, and a login of the same agent with another
-- session ends what the previous one left running ("agent lost"), at once. The session id is
-- the `sid` claim of the agent's token (master/src/auth/tokens.ts). NULL: started before this
-- migration (then the name alone owns it, as before).
ALTER TABLE builds ADD COLUMN agent_session uuid;
-- The login's sweep and the heartbeat look for an agent's running builds.
CREATE INDEX builds_running_agent ON builds (agent_name) WHERE state = 'running';
