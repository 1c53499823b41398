import { createPool, SchemaValidationError, type DatabasePool, type Interceptor } from 'slonik';

export type { DatabasePool };

/** slonik's `sql.type(schema)` validates nothing by itself; this interceptor makes it check every row. */
const zodRowParser: Interceptor = {
  name: 'zod-row-parser',
  transformRowAsync: async (ctx, query, row) => {
    if (!ctx.resultParser) return row;
    const result = await ctx.resultParser['~standard'].validate(row);
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as typeof row;
  },
};

/**
 * The master's pool. Timestamps come back as epoch milliseconds (slonik's default).
 * No `DISCARD ALL` when a connection goes back to the pool (slonik's default reset, one more round
 * trip per query or transaction): we keep no session state — no SET, no temporary tables, no
 * prepared statements; the one session advisory lock (migrations) is unlocked explicitly.
 */
export function createDatabasePool(url: string, maxPoolSize = 10): Promise<DatabasePool> {
  return createPool(url, { maxPoolSize, interceptors: [zodRowParser], resetConnection: async () => {} });
}
