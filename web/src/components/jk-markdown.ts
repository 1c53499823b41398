/**
 * A description in a safe subset of Markdown: micromark without its `allowDangerousHtml` and
 * `allowDangerousProtocol` options escapes every raw HTML tag and drops `javascript:` links, so
 * what it returns is safe to insert. Loaded on demand: most pages never need it.
 */
import { LitElement, css, html } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { sharedStyles } from '../styles/shared-styles.ts';

export class JkMarkdown extends LitElement {
  static override properties = { source: {}, rendered: { state: true } };
  declare source: string;
  declare rendered: string | null;

  constructor() {
    super();
    this.source = '';
    this.rendered = null;
  }

  override async willUpdate(changed: Map<string, unknown>) {
    if (!changed.has('source')) return;
    const source = this.source;
    const { micromark } = await import('micromark');
    if (source === this.source) this.rendered = micromark(source, { allowDangerousHtml: false, allowDangerousProtocol: false });
  }

  static override styles = [sharedStyles, css`:host { overflow-wrap: anywhere; } img { max-width: 100%; } pre { overflow-x: auto; background: var(--jk-surface-2); padding: 8px; border-radius: 4px; }`];

  override render() {
    // Until the renderer has loaded, the text itself (Lit escapes it).
    return this.rendered === null ? html`<p>${this.source}</p>` : unsafeHTML(this.rendered);
  }
}
customElements.define('jk-markdown', JkMarkdown);
