/**
 * A build's changes (Jenkins' changes summary): each commit's first line, author, short id and
 * time; with `files`, the whole message and the files it touched, marked added, edited or deleted.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { ChangeSet } from '../api/types.ts';
import { dateTime } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';

const EDIT_MARK = { add: ['A', 'added'], edit: ['M', 'edited'], delete: ['D', 'deleted'] } as const;

export class JkChangeSet extends LitElement {
  static override properties = { changeSet: { attribute: false }, files: { type: Boolean } };
  declare changeSet: ChangeSet | null;
  declare files: boolean;

  constructor() {
    super();
    this.changeSet = null;
    this.files = false;
  }

  static override styles = [
    sharedStyles,
    css`
      ol { margin: 0; padding-left: 1.4rem; }
      li.commit { margin-bottom: var(--jk-space-2); }
      .meta { color: var(--jk-muted); font-size: var(--jk-text-sm); }
      code { font-family: var(--jk-font-mono); font-size: var(--jk-text-sm); }
      pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font-family: var(--jk-font-mono); font-size: var(--jk-text-sm); }
      ul.paths { list-style: none; padding-left: 0.5rem; margin: 4px 0 0; }
      .mark { display: inline-block; width: 1.3em; font-weight: 700; font-family: var(--jk-font-mono); }
      .mark.add { color: var(--jk-success); } .mark.delete { color: var(--jk-failure); } .mark.edit { color: var(--jk-running); }
    `,
  ];

  override render() {
    const cs = this.changeSet;
    if (!cs || cs.items.length === 0) return html`<p class="muted">No changes.</p>`;
    return html`<ol>${cs.items.map((c) => html`<li class="commit" data-commit=${c.commitId}>
        ${this.files ? html`<pre>${c.message}</pre>` : html`<span>${c.message.split('\n')[0]}</span>`}
        <div class="meta">${c.authorName} · <code title=${c.commitId}>${c.commitId.slice(0, 8)}</code> · ${dateTime(new Date(c.timestamp).toISOString())}</div>
        ${this.files ? html`<ul class="paths">${c.paths.map((p) => html`<li><span class="mark ${p.editType}" title=${EDIT_MARK[p.editType][1]}>${EDIT_MARK[p.editType][0]}</span><code>${p.file}</code></li>`)}
          ${c.morePaths ? html`<li class="muted">…and ${c.morePaths} more files</li>` : nothing}</ul>` : nothing}
      </li>`)}</ol>
      ${cs.more ? html`<p class="muted">…and ${cs.more} earlier commits not listed.</p>` : nothing}`;
  }
}
customElements.define('jk-change-set', JkChangeSet);
