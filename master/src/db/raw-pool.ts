/**
 * node-postgres' own pool, beside slonik's, for what slonik cannot say: COPY. Console uploads go
 * through it (console/console-store.ts and console-reader.ts: COPY … FROM STDIN, their bytes reaching PostgreSQL as they came
 * off the agent's socket), and so do console reads (bounded COPY … TO STDOUT in binary, instead of
 * bytea as hex text). Each holds a connection for one bounded statement. Everything else uses
 * slonik.
 */
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Logger } from '../log.ts';

export type RawClient = pg.PoolClient;

export interface RawPoolOptions {
  /** Connections (default 4: uploads and reads are short statements). */
  max?: number;
  /**
   * The server takes COPY FROM STDIN. PGlite behind embedded/pglite-server.ts does not (it drops the
   * connection), so the embedded PGlite fallback says false and uploads become INSERTs.
   */
  copy: boolean;
  log: Logger;
}

export class RawPool {
  readonly copy: boolean;
  readonly #pool: pg.Pool;
  readonly #prepared = new WeakSet<RawClient>();

  constructor(url: string, o: RawPoolOptions) {
    this.copy = o.copy;
    this.#pool = new pg.Pool({ connectionString: url, max: o.max ?? 4, idleTimeoutMillis: 5000 });
    // An idle connection that breaks (PostgreSQL restarted) is dropped by the pool; without a
    // listener the 'error' event would end the process.
    this.#pool.on('error', (err) => o.log.warn({ err: err.message }, 'PostgreSQL connection lost (raw pool)'));

  }

  /**
   * A connection of the pool. Its first use sets lz4 for the console chunks it stores (rather than
   * pglz, where the server has it: a third of PostgreSQL's CPU per stored megabyte less, for about
   * the same size on disk); a server without lz4 refuses the SET and keeps pglz. Awaited, so no
   * query of ours ever runs beside it on the connection.
   */
  async #connect(): Promise<RawClient> {
    const client = await this.#pool.connect();
    if (!this.#prepared.has(client)) {
      this.#prepared.add(client);
      await client.query(`SET default_toast_compression = 'lz4'`).catch(() => {});
    }
    return client;
  }

  /** Runs `fn` in a transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  async transaction<T>(fn: (client: RawClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => void (broken = e));
      throw err;
    } finally {
      client.release(broken); // a connection that could not roll back is closed, not reused
    }
  }

  /** The whole output of a `COPY … TO STDOUT` (keep it bounded), as the chunks it came in. */
  async copyOut(text: string): Promise<Buffer[]> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(text))) chunks.push(chunk as Buffer);
      return chunks;
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  end(): Promise<void> {
    return this.#pool.end();
  }
}
