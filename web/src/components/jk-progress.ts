import { LitElement, css, html } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import { TickerController } from '../controllers/ticker.ts';

/** A progress bar from a start time and an estimated duration; indeterminate without an estimate. */
export class JkProgress extends LitElement {
  static override properties = { startedAt: {}, estimatedMs: { type: Number }, label: {} };
  declare startedAt: string;
  declare estimatedMs: number | null;
  declare label: string;
  constructor() {
    super();
    this.startedAt = new Date().toISOString();
    this.estimatedMs = null;
    this.label = 'Build progress';
    new TickerController(this, 1000);
  }
  static override styles = css`
    :host { display: block; }
    .track { height: 6px; border-radius: 3px; background: var(--jk-surface-2); overflow: hidden; }
    .bar { height: 100%; background: var(--jk-running); border-radius: 3px; transition: width 0.9s linear; }
    .bar.late { background: var(--jk-unstable); }
    .bar.unknown { width: 30%; animation: slide 1.4s ease-in-out infinite; }
    @keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(330%); } }
  `;
  override render() {
    const elapsed = Date.now() - Date.parse(this.startedAt);
    if (!this.estimatedMs) return html`<div class="track" role="progressbar" aria-label=${this.label}><div class="bar unknown"></div></div>`;
    const pct = Math.min(99, Math.round((elapsed / this.estimatedMs) * 100));
    const late = elapsed > this.estimatedMs;
    return html`<div class="track" role="progressbar" aria-label=${this.label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}
      title=${late ? 'Taking longer than usual' : `${pct}% of the estimated time`}><div class="bar ${late ? 'late' : ''}" style=${styleMap({ width: `${pct}%` })}></div></div>`;
  }
}
customElements.define('jk-progress', JkProgress);
