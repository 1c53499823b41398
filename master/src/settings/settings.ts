/** Instance-wide settings, one validated JSON document per key; the only owner of the settings table. */
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { SecuritySettings } from '../../../shared/src/identity.ts';

const DEFAULT_SECURITY: SecuritySettings = { selfSignup: false };

export class SettingsService {
  readonly #pool: DatabasePool;
  constructor(pool: DatabasePool) {
    this.#pool = pool;
  }

  async security(): Promise<SecuritySettings> {
    const value = await this.#pool.maybeOneFirst(sql.type(z.object({ value: z.unknown() }))`SELECT value FROM settings WHERE key = 'security'`);
    return value === null ? DEFAULT_SECURITY : SecuritySettings.parse(value);
  }

  async setSecurity(value: SecuritySettings): Promise<SecuritySettings> {
    await this.#pool.query(sql.unsafe`
      INSERT INTO settings (key, value) VALUES ('security', ${sql.jsonb(value)})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`);
    return value;
  }
}
