/**
 * The whole system for browser tests: a real master (own database and Redis prefix, serving the
 * built UI), the real nginx with infra/nginx.conf in front of it, real agent processes, and a
 * headless Chromium pointed at nginx.
 */
import type { ExecutionContext } from 'ava';
import type { Browser } from 'playwright-core';
import type { AppDeps } from '../../master/src/app.ts';
import { webRoot } from '../../master/src/server.ts';
import { newUiSession, openBrowser, type UiSession } from './browser.ts';
import { startNginx, type RunningNginx } from './nginx.ts';
import { freePort } from './processes.ts';
import { startTestMaster, type TestMaster } from './test-master.ts';

export interface UiSystem {
  master: TestMaster;
  nginx: RunningNginx;
  /** The public URL: nginx. */
  url: string;
  ui: UiSession;
  /**
   * A browser session of the test's own (context, page, error lists) in the same browser, closed
   * after the test; with `token`, logged in with it (as the UI keeps it, in localStorage).
   */
  session(t: ExecutionContext, token?: string): Promise<UiSession>;
  /**
   * A master and nginx of the test's own behind the same browser (its `ui` a session of its own),
   * closed after the test: for a test that reads something master-wide the file's other tests
   * change (settings, the whole credentials list).
   */
  own(t: ExecutionContext, deps?: Partial<AppDeps>): Promise<UiSystem>;
  close(): Promise<void>;
}

/** With `browser`, the system's `ui` is a session of its own in that browser, and closing it leaves the browser open. */
export async function startUiSystem(viewport?: { width: number; height: number }, deps: Partial<AppDeps> = {}, browser?: Browser): Promise<UiSystem> {
  const dist = webRoot();
  if (!dist) throw new Error('web/dist is missing: run `npm run build:web` (npm install and npm test do)');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const master = await startTestMaster({ staticDir: dist, trustProxy: true, publicUrl: `${url}/`, ...deps }, { maintenance: { sweepEveryMs: 1000, watchdogEveryMs: 1000 } });
  const nginx = await startNginx({ masterUrl: master.url, webDist: dist, port });
  const ui = browser ? await newUiSession(browser, viewport) : await openBrowser(viewport);
  return {
    master,
    nginx,
    url,
    ui,
    async session(t, token) {
      const own = await newUiSession(ui.browser, viewport);
      t.teardown(() => own.close().catch(() => {}));
      if (token) {
        await own.page.goto(`${url}/login`);
        await own.page.evaluate((tk) => localStorage.setItem('jonkkins.token', tk), token);
      }
      return own;
    },
    async own(t, ownDeps = {}) {
      const other = await startUiSystem(viewport, ownDeps, ui.browser);
      t.teardown(() => other.close());
      return other;
    },
    async close() {
      await ui.close().catch(() => {});
      await nginx.stop();
      await master.close();
    },
  };
}

/** Fails the test with the page's own errors attached, when there were any. */
export function expectNoPageErrors(t: ExecutionContext, ui: UiSession): void {
  t.deepEqual(ui.errors, [], 'the page logged no errors');
  t.deepEqual(ui.cspViolations, [], 'nothing was blocked by the Content-Security-Policy');
}
