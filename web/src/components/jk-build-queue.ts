/** The home page's "Build Queue" panel: each waiting item with Jenkins' `why`, and cancel. */
import { LitElement, css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { cancelQueueItem, listQueue } from '../api/queue.ts';
import type { QueueItem } from '../api/types.ts';
import { coalesce, LiveEventsController } from '../controllers/live-events.ts';
import { jobUrl } from '../router.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkBuildQueue extends LitElement {
  static override properties = { items: { state: true } };
  declare items: QueueItem[] | null;
  readonly #reload = coalesce(() => void this.#load());

  constructor() {
    super();
    this.items = null;
    new LiveEventsController(this, (e) => {
      if (!e || e.type.startsWith('build.') || e.type === 'queue.changed' || e.type.startsWith('agent.')) this.#reload();
    }, { loadNow: true });
  }

  async #load() {
    try {
      this.items = await listQueue();
    } catch {
      /* shown as before; the next event retries */
    }
  }

  async #cancel(item: QueueItem) {
    try {
      await cancelQueueItem(item.id);
      this.items = (this.items ?? []).filter((i) => i.id !== item.id);
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    css`
      ul { list-style: none; margin: 0; padding: 0; }
      li { display: flex; gap: var(--jk-space-2); align-items: flex-start; padding: 6px 0; border-top: 1px solid var(--jk-border); font-size: var(--jk-text-sm); }
      li:first-child { border-top: none; }
      .what { flex: 1; min-width: 0; overflow-wrap: anywhere; }
      .why { color: var(--jk-muted); display: block; }
      button { padding: 0 7px; line-height: 1.4; }
    `,
  ];

  override render() {
    const items = this.items;
    return html`<h3 id="queue-title">Build Queue${items?.length ? ` (${items.length})` : ''}</h3>
      ${items === null ? html`<p class="muted">Loading…</p>` : items.length === 0 ? html`<p class="muted">No builds in the queue.</p>`
        : html`<ul aria-labelledby="queue-title">${repeat(items, (i) => i.id, (i) => html`<li data-queue-id=${i.id}>
            <span class="what"><a href=${jobUrl(i.job)}>${i.job}</a><span class="why">${i.why}</span></span>
            <button title="Cancel this build" aria-label=${`Cancel queued build of ${i.job}`} @click=${() => this.#cancel(i)}>✕</button></li>`)}</ul>`}`;
  }
}
customElements.define('jk-build-queue', JkBuildQueue);
