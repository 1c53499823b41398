/** A build's artifacts with sizes; each opens through a short-lived download link (no token in URLs). */
import { LitElement, css, html } from 'lit';
import { buildPath } from '../api/jobs.ts';
import { downloadUrl } from '../api/people.ts';
import type { ArtifactInfo } from '../api/types.ts';
import { bytes } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

export class JkArtifactList extends LitElement {
  static override properties = { job: {}, build: { type: Number }, artifacts: { attribute: false } };
  declare job: string;
  declare build: number;
  declare artifacts: ArtifactInfo[];

  constructor() {
    super();
    this.job = '';
    this.build = 0;
    this.artifacts = [];
  }

  async #open(e: Event, path: string) {
    e.preventDefault();
    try {
      location.assign(await downloadUrl(path));
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [sharedStyles, css`ul { margin: 0; padding-left: 1.1rem; } li { overflow-wrap: anywhere; } .size { color: var(--jk-muted); font-size: var(--jk-text-sm); }`];

  override render() {
    const base = buildPath(this.job, this.build);
    const encoded = (p: string) => p.split('/').map(encodeURIComponent).join('/');
    return html`<ul>${this.artifacts.map((a) => html`<li><a href="#" title=${`sha256 ${a.sha256}`} @click=${(e: Event) => this.#open(e, `${base}/artifacts/${encoded(a.path)}`)}>${a.path}</a> <span class="size">${bytes(a.size)}</span></li>`)}</ul>
      ${this.artifacts.length > 1 ? html`<p><a href="#" @click=${(e: Event) => this.#open(e, `${base}/artifacts.zip`)}>All files in a zip</a></p>` : ''}`;
  }
}
customElements.define('jk-artifact-list', JkArtifactList);
