/**
 * The one-time setup code that creating the first admin needs on a master that listens beyond
 * loopback (Jenkins' initialAdminPassword): otherwise whoever reaches a fresh master first —
 * anyone on its network — would become its administrator. The code goes to the log and to
 * `$JONKKINS_HOME/secrets/initialAdminPassword` (mode 0600), and that file is removed once the
 * admin exists. A master bound to loopback needs none: only people on its machine reach it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log.ts';

/** Whether `host` (the address the master listens on) lets only this machine in. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export class SetupCode {
  readonly file: string;
  #code: Buffer | undefined;

  constructor(home: string) {
    this.file = join(home, 'secrets', 'initialAdminPassword');
  }

  /**
   * Before the master takes requests: with no user yet, the code (the one already in the file, so
   * that a restart does not change what an operator read) is logged; with users, a file left over
   * is removed.
   */
  async prepare(anyUser: boolean, log: Logger): Promise<void> {
    if (anyUser) return this.consumed();
    const kept = await readFile(this.file, 'utf8').then((s) => s.trim(), () => '');
    const code = /^[0-9a-f]{32}$/.test(kept) ? kept : randomBytes(16).toString('hex');
    if (code !== kept) {
      await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 });
      await writeFile(this.file, `${code}\n`, { mode: 0o600 });
    }
    this.#code = Buffer.from(code);
    log.warn(
      { file: this.file },
      `No administrator yet, and the master listens beyond this machine: creating the first admin needs the setup code ${code} (also in ${this.file})`,
    );
  }

  /** Whether creating the first admin needs a code at all (none once the admin exists). */
  get required(): boolean {
    return this.#code !== undefined;
  }

  matches(given: string | undefined): boolean {
    if (!this.#code) return true;
    const g = Buffer.from(given?.trim() ?? '');
    return g.length === this.#code.length && timingSafeEqual(g, this.#code);
  }

  /** The first admin exists: the code is spent. */
  async consumed(): Promise<void> {
    this.#code = undefined;
    await rm(this.file, { force: true });
  }
}
