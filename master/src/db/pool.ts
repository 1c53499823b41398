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

/** The master's pool. Timestamps come back as epoch milliseconds (slonik's default). */
export function createDatabasePool(url: string, maxPoolSize = 10): Promise<DatabasePool> {
  return createPool(url, { maxPoolSize, interceptors: [zodRowParser] });
}
