/**
 * The application shell: header, the page for the current path, and the session's lifecycle
 * (login page when there is no valid token, back to the same page afterwards, background renewal).
 */
import { LitElement, css, html, nothing } from 'lit';
import { logout, renewToken } from '../api/people.ts';
import { session, type SessionEndReason } from '../api/session.ts';
import { interceptLinks, match, navigate, userUrl, type Route } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

const RENEW_CHECK_MS = 30_000;

/**
 * Each page's element, loaded the first time a path needs it: opening the dashboard does not wait
 * for the configure page's code. Lit keeps properties set before an element is defined.
 */
const PAGES: Record<string, () => Promise<unknown>> = {
  login: () => import('./jk-login-page.ts'),
  home: () => import('./jk-home-page.ts'),
  'view-editor': () => import('./jk-view-editor.ts'),
  'new-item': () => import('./jk-new-item-page.ts'),
  history: () => import('./jk-history-page.ts'),
  people: () => import('./jk-people-page.ts'),
  user: () => import('./jk-user-page.ts'),
  password: () => import('./jk-password-page.ts'),
  manage: () => import('./jk-manage-page.ts'),
  job: () => import('./jk-job-page.ts'),
  configure: () => import('./jk-job-config-page.ts'),
  'build-form': () => import('./jk-build-form-page.ts'),
  'polling-log': () => import('./jk-polling-log-page.ts'),
  build: () => import('./jk-build-page.ts'),
  changes: () => import('./jk-changes-page.ts'),
};

export class JkApp extends LitElement {
  static override properties = { route: { state: true } };
  declare route: Route;

  constructor() {
    super();
    this.route = match(location.pathname);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    interceptLinks();
    window.addEventListener('jk-navigate', () => this.#route());
    session.addEventListener('end', (e) => this.#toLogin((e as CustomEvent<SessionEndReason>).detail));
    for (const type of ['pointerdown', 'keydown']) {
      window.addEventListener(type, () => {
        session.noteActivity();
        void session.renewIfDue(renewToken); // cheap unless due: renew as soon as an active person needs it
      }, { passive: true });
    }
    setInterval(() => void session.renewIfDue(renewToken), RENEW_CHECK_MS);
    this.#route();
  }

  #route(): void {
    const route = match(location.pathname);
    if (route.page !== 'login' && !session.signedIn) {
      this.#toLogin(session.token ? 'expired' : 'logged-out');
      return;
    }
    this.route = route;
    PAGES[route.page]?.().catch(() => toast('This page could not be loaded (was Jonkkins updated?): reload the page.', 'error'));
  }

  #toLogin(reason: SessionEndReason): void {
    if (match(location.pathname).page === 'login') return this.#route();
    const here = location.pathname + location.search;
    const query = new URLSearchParams({ next: here });
    if (reason === 'expired') query.set('reason', 'expired');
    localStorage.removeItem('jonkkins.token');
    navigate(`/login?${query}`, { replace: true });
  }

  #logout(): void {
    void logout();
  }

  static override styles = [
    sharedStyles,
    css`
      header {
        background: var(--jk-header-bg); color: var(--jk-header-text); display: flex; align-items: center;
        gap: var(--jk-space-4); padding: 0 var(--jk-space-4); height: 52px;
      }
      header a { color: var(--jk-header-text); }
      .brand { font-weight: 700; font-size: 1.1rem; display: flex; align-items: center; gap: var(--jk-space-2); letter-spacing: 0.01em; }
      .brand img { width: 26px; height: 26px; }
      .user { font-size: var(--jk-text-sm); display: flex; gap: var(--jk-space-3); align-items: center; }
      header button { background: transparent; color: var(--jk-header-text); border-color: rgb(255 255 255 / 30%); }
      header button:hover { background: rgb(255 255 255 / 10%); }
      main { padding: var(--jk-space-5) var(--jk-space-4); max-width: 1400px; margin: 0 auto; }
      @media (max-width: 640px) { main { padding: var(--jk-space-3) var(--jk-space-2); } .who { display: none; } }
    `,
  ];

  override render() {
    const claims = session.claims;
    return html`
      <header>
        <a class="brand" href="/"><img src="/favicon.svg" alt="">Jonkkins</a>
        <span class="spacer"></span>
        ${claims
          ? html`<span class="user"><a class="who" href=${userUrl(claims.sub)}>${claims.sub}</a><a class="password" href="/me/password">Password</a><button @click=${this.#logout}>Log out</button></span>`
          : nothing}
      </header>
      <main>${this.#page()}</main>
    `;
  }

  #page() {
    const { page, params } = this.route;
    switch (page) {
      case 'login':
        return html`<jk-login-page></jk-login-page>`;
      case 'home':
        return html`<jk-home-page .viewName=${params.view ?? null}></jk-home-page>`;
      case 'view-editor':
        return html`<jk-view-editor .viewName=${params.view ?? null}></jk-view-editor>`;
      case 'new-item':
        return html`<jk-new-item-page></jk-new-item-page>`;
      case 'history':
        return html`<jk-history-page></jk-history-page>`;
      case 'people':
        return html`<jk-people-page></jk-people-page>`;
      case 'user':
        return html`<jk-user-page .username=${params.user!}></jk-user-page>`;
      case 'password':
        return html`<jk-password-page></jk-password-page>`;
      case 'manage':
        return html`<jk-manage-page .section=${params.section ?? null}></jk-manage-page>`;
      case 'job':
        return html`<jk-job-page .jobName=${params.job!}></jk-job-page>`;
      case 'configure':
        return html`<jk-job-config-page .jobName=${params.job!}></jk-job-config-page>`;
      case 'polling-log':
        return html`<jk-polling-log-page .jobName=${params.job!}></jk-polling-log-page>`;
      case 'build-form':
        return html`<jk-build-form-page .jobName=${params.job!}></jk-build-form-page>`;
      case 'changes':
        return html`<jk-changes-page .jobName=${params.job!}></jk-changes-page>`;
      case 'build':
        return html`<jk-build-page .jobName=${params.job!} .buildRef=${params.number!}></jk-build-page>`;
      default:
        return html`<div class="panel empty"><h1>Not found</h1><p>Nothing lives at this address. <a href="/">Back to the dashboard</a></p></div>`;
    }
  }
}
customElements.define('jk-app', JkApp);
