import type { WorkConfig } from '../../shared/src/agent-protocol.ts';

/** Whether two configs need a different Redis connection (another server, user or key prefix). */
export function sameRedis(a: WorkConfig, b: WorkConfig): boolean {
  return a.redis.url === b.redis.url && a.redis.prefix === b.redis.prefix;
}
