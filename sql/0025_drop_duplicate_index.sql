-- 0014 made builds_running_agent, the same index as 0002's builds_running_by_agent: every build
-- that started, and every update of a running build off the HOT path, maintained both.
DROP INDEX IF EXISTS builds_running_agent;
