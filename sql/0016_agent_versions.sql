-- What each agent stated about itself at its last successful login (POST /login-slave), shown on
-- Manage → Nodes so an admin sees which agents run which Jonkkins. Both stay null until the
-- agent's first login after this migration. A login with a protocol version the master does not
-- speak is refused before anything is recorded.
-- shared/src/agent-protocol.ts PROTOCOL_VERSION
ALTER TABLE agents ADD COLUMN protocol_version integer CHECK (protocol_version >= 0);
-- the agent's package.json version, printable ASCII (AgentLoginRequest.agentVersion)
ALTER TABLE agents ADD COLUMN agent_version text CHECK (length(agent_version) <= 64);
