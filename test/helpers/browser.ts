/**
 * Real headless Chromium (Debian's `chromium`) driven by playwright-core, for the UI tests.
 * Screenshots go to test-results/screenshots/ (git-ignored), one per page visited, every run.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

export interface UiSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors (failed resource loads excepted) seen so far. */
  errors: string[];
  /** Content-Security-Policy violations reported by the page (an injected script or handler would cause one). */
  cspViolations: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1280, height: 860 }): Promise<UiSession> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const first = await newUiSession(browser, viewport);
  return { ...first, close: () => browser.close() };
}

/**
 * A session of its own in a running browser: a fresh context (its own localStorage, so its own
 * login) and page, with their own error lists. Tests that share a browser run side by side this way.
 */
export async function newUiSession(browser: Browser, viewport = { width: 1280, height: 860 }): Promise<UiSession> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const cspViolations: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (/Content.Security.Policy/i.test(text)) cspViolations.push(text);
    else if (!/Failed to load resource/.test(text)) errors.push(`console: ${text}`);
  });
  await context.exposeBinding('__reportCsp', (_source, text: string) => void cspViolations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __reportCsp(t: string): void }).__reportCsp(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  return {
    browser,
    context,
    page,
    errors,
    cspViolations,
    async shot(name) {
      await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
    },
    async close() {
      await context.close();
    },
  };
}
