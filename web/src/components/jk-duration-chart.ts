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
    svg { width: 100%; height: 80px; display: block; }
    .axis { font-size: var(--jk-text-sm); color: var(--jk-muted); margin-top: 2px; }
  `;
  override render() {
    const done = this.builds.filter((b) => b.durationMs !== null && b.number !== null).slice(0, 30).reverse();
    if (done.length === 0) return html``;
    const max = Math.max(...done.map((b) => b.durationMs!), 1);
    const w = 300 / Math.max(done.length, 10);
    // The label is text beside the chart, not in it: the chart stretches (preserveAspectRatio none),
    // which would stretch and clip text drawn inside.
    return html`<svg viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label=${`Durations of the last ${done.length} builds`}>
      ${done.map((b, i) => {
        const h = Math.max(2, (b.durationMs! / max) * 76);
        return svg`<rect x=${i * w + 1} y=${80 - h} width=${Math.max(1, w - 2)} height=${h} rx="1.5" fill=${COLOURS[b.result ?? ''] ?? 'var(--jk-running)'}>
          <title>#${b.number}: ${b.result ?? 'running'}, ${duration(b.durationMs)}</title></rect>`;
      })}
      <line x1="0" y1="79.5" x2="300" y2="79.5" stroke="var(--jk-border)"></line>
    </svg>
    <div class="axis">max ${duration(max)}</div>`;
  }
}
customElements.define('jk-duration-chart', JkDurationChart);
