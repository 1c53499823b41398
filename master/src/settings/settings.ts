/** Instance-wide settings, one validated JSON document per key; the only owner of the settings table. */
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { SecuritySettings } from '../../../shared/src/identity.ts';
import { SystemSettings, WebhookSettings } from '../../../shared/src/settings.ts';
import { NotificationSettings } from '../../../shared/src/notifications.ts';
import { SecretBox } from '../secret-box.ts';

/** How a stored secret is shown: saving it back keeps the secret. */
export const HIDDEN_SECRET = '****';

// Row schemas are built once: zod compiles each new schema on its first parse.
const ValueRow = z.object({ value: z.unknown() });
const DEFAULT_SECURITY: SecuritySettings = { selfSignup: false };

/**
 * How long a master trusts its cached public URL. The master that saves a new URL uses it at once;
 * other masters behind the same load balancer pick it up within this time.
 */
export const PUBLIC_URL_CACHE_MS = 10_000;

export class SettingsService {
  readonly #pool: DatabasePool;
  readonly #defaultPublicUrl: string;
  readonly #now: () => number;
  #publicUrl: { value: Promise<string>; at: number } | undefined;

  /** `defaultPublicUrl`: JONKKINS_URL (or its default), used until an admin saves one. */
  readonly #secrets: SecretBox | undefined;
  constructor(pool: DatabasePool, opts: { defaultPublicUrl: string; now?: () => number; secrets?: SecretBox }) {
    this.#pool = pool;
    this.#secrets = opts.secrets;
    this.#defaultPublicUrl = opts.defaultPublicUrl;
    this.#now = opts.now ?? Date.now;
  }

  async security(): Promise<SecuritySettings> {
    const value = await this.#read('security');
    return value === null ? DEFAULT_SECURITY : SecuritySettings.parse(value);
  }

  async setSecurity(value: SecuritySettings): Promise<SecuritySettings> {
    await this.#write('security', value);
    return value;
  }

  /** The System settings as in effect: the saved public URL, else the configured one. */
  async system(): Promise<SystemSettings> {
    return { publicUrl: await this.#loadPublicUrl() };
  }

  async setSystem(value: SystemSettings): Promise<SystemSettings> {
    await this.#write('system', value);
    this.#publicUrl = { value: Promise.resolve(value.publicUrl), at: this.#now() };
    return value;
  }

  /** The webhook settings as stored: the notifyCommit token sealed. */
  async #storedWebhooks(): Promise<WebhookSettings> {
    const value = await this.#read('webhooks');
    return WebhookSettings.parse(value ?? {});
  }

  /** The webhook settings as people see them: the notifyCommit token as ****. */
  async webhooks(): Promise<WebhookSettings> {
    const stored = await this.#storedWebhooks();
    return { ...stored, notifyCommitAccessToken: stored.notifyCommitAccessToken === null ? null : HIDDEN_SECRET };
  }

  async setWebhooks(value: WebhookSettings): Promise<WebhookSettings> {
    const box = this.#box();
    let token = value.notifyCommitAccessToken;
    if (token === HIDDEN_SECRET) token = (await this.#storedWebhooks()).notifyCommitAccessToken;
    else if (token !== null) token = box.seal(token);
    await this.#write('webhooks', { ...value, notifyCommitAccessToken: token });
    return this.webhooks();
  }

  /** For the webhook endpoints: the secret credentials' ids and the plain notifyCommit token. */
  async webhookSecrets(): Promise<WebhookSettings> {
    const stored = await this.#storedWebhooks();
    const sealed = stored.notifyCommitAccessToken;
    return { ...stored, notifyCommitAccessToken: sealed && SecretBox.isSealed(sealed) ? this.#box().open(sealed) : null };
  }

  #box(): SecretBox {
    if (!this.#secrets) throw new Error('the settings service was made without a secret box');
    return this.#secrets;
  }

  /** Slack and mail (Manage Jonkkins → System); `db`: a build change's transaction reads them through its own connection. */
  async notifications(db: CommonQueryMethods = this.#pool): Promise<NotificationSettings> {
    const value = await this.#read('notifications', db);
    return NotificationSettings.parse(value ?? {});
  }

  async setNotifications(value: NotificationSettings): Promise<NotificationSettings> {
    await this.#write('notifications', value);
    return value;
  }

  /** The effective public URL (ends in `/`), from a cache refreshed every PUBLIC_URL_CACHE_MS: builds ask for it often. */
  publicUrl(): Promise<string> {
    const cached = this.#publicUrl;
    if (cached && this.#now() - cached.at < PUBLIC_URL_CACHE_MS) return cached.value;
    const value = this.#loadPublicUrl();
    this.#publicUrl = { value, at: this.#now() };
    value.catch(() => {
      if (this.#publicUrl?.value === value) this.#publicUrl = undefined; // a failed read is not cached
    });
    return value;
  }

  async #loadPublicUrl(): Promise<string> {
    const stored = await this.#read('system');
    return stored === null ? this.#defaultPublicUrl : SystemSettings.parse(stored).publicUrl;
  }

  #read(key: string, db: CommonQueryMethods = this.#pool): Promise<unknown> {
    return db.maybeOneFirst(sql.type(ValueRow)`SELECT value FROM settings WHERE key = ${key}`);
  }

  async #write(key: string, value: object): Promise<void> {
    await this.#pool.query(sql.unsafe`
      INSERT INTO settings (key, value) VALUES (${key}, ${sql.jsonb(value as never)})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`);
  }
}
