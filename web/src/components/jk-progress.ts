import { LitElement, css, html } from 'lit';
import { TickerController } from '../controllers/ticker.ts';

/**
 * A progress bar from a start time and an estimated duration; indeterminate without an estimate.
 * The bar's width is set through the DOM after each render, not as a style attribute: the
 * Content-Security-Policy refuses inline styles (Lit's styleMap writes one on its first render).
 */
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
    .bar { width: 0; height: 100%; background: var(--jk-running); border-radius: 3px; transition: width 0.9s linear; }
    .bar.late { background: var(--jk-unstable); }
    .bar.unknown { width: 30%; animation: slide 1.4s ease-in-out infinite; }
    @keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(330%); } }
    @media (prefers-reduced-motion: reduce) { .bar { transition: none; } .bar.unknown { animation: none; width: 100%; opacity: 0.3; } }
  `;
  #percent(): number | null {
    if (!this.estimatedMs) return null;
    return Math.min(99, Math.max(0, Math.round(((Date.now() - Date.parse(this.startedAt)) / this.estimatedMs) * 100)));
  }

  override render() {
    const pct = this.#percent();
    if (pct === null) return html`<div class="track" role="progressbar" aria-label=${this.label}><div class="bar unknown"></div></div>`;
    const late = Date.now() - Date.parse(this.startedAt) > this.estimatedMs!;
    return html`<div class="track" role="progressbar" aria-label=${this.label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}
      title=${late ? 'Taking longer than usual' : `${pct}% of the estimated time`}><div class="bar ${late ? 'late' : ''}"></div></div>`;
  }

  override updated() {
    const bar = this.renderRoot.querySelector<HTMLElement>('.bar:not(.unknown)');
    if (bar) bar.style.width = `${this.#percent()}%`;
  }
}
customElements.define('jk-progress', JkProgress);
