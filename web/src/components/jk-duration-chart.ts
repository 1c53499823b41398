/** A small bar chart of recent builds: height = duration, colour = result (oldest on the left). */
import { LitElement, css, html, svg } from 'lit';
import type { Build } from '../api/types.ts';
import { duration } from '../format.ts';

const COLOURS: Record<string, string> = {
  SUCCESS: 'var(--jk-success)', UNSTABLE: 'var(--jk-unstable)', FAILURE: 'var(--jk-failure)', ABORTED: 'var(--jk-aborted)', NOT_BUILT: 'var(--jk-not-built)',
};

export class JkDurationChart extends LitElement {
  static override properties = { builds: { attribute: false } };
  declare builds: Build[];
  constructor() {
    super();
    this.builds = [];
  }
  static override styles = css`
    :host { display: block; }
    svg { width: 100%; height: 90px; display: block; }
    .axis { font-size: 10px; fill: var(--jk-muted); }
  `;
  override render() {
    const done = this.builds.filter((b) => b.durationMs !== null && b.number !== null).slice(0, 30).reverse();
    if (done.length === 0) return html``;
    const max = Math.max(...done.map((b) => b.durationMs!), 1);
    const w = 300 / Math.max(done.length, 10);
    return html`<svg viewBox="0 0 300 90" preserveAspectRatio="none" role="img" aria-label=${`Durations of the last ${done.length} builds`}>
      ${done.map((b, i) => {
        const h = Math.max(2, (b.durationMs! / max) * 76);
        return svg`<rect x=${i * w + 1} y=${80 - h} width=${Math.max(1, w - 2)} height=${h} rx="1.5" fill=${COLOURS[b.result ?? ''] ?? 'var(--jk-running)'}>
          <title>#${b.number}: ${b.result ?? 'running'}, ${duration(b.durationMs)}</title></rect>`;
      })}
      <line x1="0" y1="80.5" x2="300" y2="80.5" stroke="var(--jk-border)"></line>
      <text class="axis" x="0" y="89">max ${duration(max)}</text>
    </svg>`;
  }
}
customElements.define('jk-duration-chart', JkDurationChart);
