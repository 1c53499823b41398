/** Short notices at the bottom of the screen ("Build scheduled"), announced to screen readers. */
import { LitElement, css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';

interface Notice { id: number; text: string; kind: 'info' | 'error' }

export class JkToast extends LitElement {
  static override properties = { notices: { state: true } };
  declare notices: Notice[];
  #next = 1;
  constructor() {
    super();
    this.notices = [];
  }
  show(text: string, kind: Notice['kind']) {
    const notice = { id: this.#next++, text, kind };
    this.notices = [...this.notices, notice];
    setTimeout(() => (this.notices = this.notices.filter((n) => n !== notice)), kind === 'error' ? 8000 : 3500);
  }
  static override styles = css`
    :host { position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); z-index: 10; display: flex; flex-direction: column; gap: 8px; }
    div { background: var(--jk-header-bg); color: #fff; padding: 9px 16px; border-radius: var(--jk-radius); box-shadow: var(--jk-shadow); font-size: var(--jk-text-sm); }
    div.error { background: var(--jk-failure); }
  `;
  override render() {
    return html`<section role="status" aria-live="polite">${repeat(this.notices, (n) => n.id, (n) => html`<div class=${n.kind}>${n.text}</div>`)}</section>`;
  }
}
customElements.define('jk-toast', JkToast);

/** Shows a notice; the element is created on first use. */
export function toast(text: string, kind: Notice['kind'] = 'info'): void {
  let el = document.querySelector('jk-toast');
  if (!el) el = document.body.appendChild(document.createElement('jk-toast'));
  el.show(text, kind);
}

declare global {
  interface HTMLElementTagNameMap { 'jk-toast': JkToast }
}
