/**
 * A build's console, live, as a terminal shows it (console/terminal.ts: colours, `\r`
 * overwrites) with each line's time on demand. It streams from the server (SSE, resumable by byte
 * offset, with `time` events) and renders incrementally: lines arrive in batches once per frame as
 * text nodes and spans (console/console-dom.ts; nothing in a log is ever HTML), and only the
 * newest MAX_DOM_CHARS stay in the page — a 100 MB log stays smooth; the whole of it is one
 * "plain text" click away. The view follows the tail unless the person scrolls up.
 */
import { LitElement, css, html, nothing } from 'lit';
import { openEventStream } from '../api/event-stream.ts';
import { buildPath } from '../api/jobs.ts';
import { downloadUrl } from '../api/people.ts';
import { appendLines, terminalStyles } from '../console/console-dom.ts';
import { Terminal, type Line } from '../console/terminal.ts';
import { bytes } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

/** Bytes of an old log shown when the page opens (Jenkins also starts large logs near the end). */
const INITIAL_TAIL_BYTES = 1024 * 1024;
/** Characters kept in the page; older blocks are dropped. */
const MAX_DOM_CHARS = 1024 * 1024;
/** Characters added to the page per frame, so that no frame does much layout. */
const MAX_APPEND_CHARS = 64 * 1024; // ~16 ms of text layout per frame here (256 K took 70–90 ms)
const FOLLOW_SLACK_PX = 48;
/** Where the timestamps toggle is remembered. */
const TIMESTAMPS_KEY = 'jonkkins.console.timestamps';

export class JkConsole extends LitElement {
  static override properties = { job: {}, buildRef: {}, logSize: { type: Number }, hiddenBytes: { state: true }, ended: { state: true }, timestamps: { state: true } };
  declare job: string;
  declare buildRef: string;
  /** The log's size when the page opened: where to start when it is large. */
  declare logSize: number;
  declare hiddenBytes: number;
  declare ended: boolean;
  /** Each line's time is shown (Timestamper's `HH:MM:SS`). */
  declare timestamps: boolean;

  #close: (() => void) | null = null;
  /** Received text not parsed yet, with the time its bytes were stored. */
  #incoming: { text: string; at: number | null }[] = [];
  /** The time of the text that follows (the stream's `time` events). */
  #time: number | null = null;
  readonly #terminal = new Terminal();
  /** Whole lines not in the page yet (over a frame's budget). */
  #lines: Line[] = [];
  #linesChars = 0;
  #partial: HTMLSpanElement | null = null;
  /** The page's blocks, oldest first, with their lines (drawn again when times are toggled). */
  #blocks: { el: HTMLDivElement; lines: Line[]; chars: number }[] = [];
  #frame = 0;
  #domChars = 0;
  #follow = true;

  constructor() {
    super();
    this.job = '';
    this.buildRef = '';
    this.logSize = 0;
    this.hiddenBytes = 0;
    this.ended = false;
    this.timestamps = localStorage.getItem(TIMESTAMPS_KEY) === 'true';
  }

  override firstUpdated() {
    const start = Math.max(0, this.logSize - INITIAL_TAIL_BYTES);
    this.hiddenBytes = start;
    this.#close = openEventStream(`${buildPath(this.job, this.buildRef)}/console?start=${start}&timestamps=true`, ['log', 'time', 'end'], {
      onEvent: (type, data) => {
        if (type === 'log') this.#receive(data as string);
        else if (type === 'time') this.#time = data as number | null;
        else {
          this.ended = true;
          this.#close?.(); // the server closed it; EventSource would reconnect
          this.dispatchEvent(new CustomEvent('console-end', { detail: data, bubbles: true, composed: true }));
        }
      },
    });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.#close?.();
    cancelAnimationFrame(this.#frame);
  }

  #receive(text: string) {
    this.#incoming.push({ text, at: this.#time });
    this.#frame ||= requestAnimationFrame(() => this.#flush());
  }

  get #scroller(): HTMLElement {
    return this.renderRoot.querySelector('.scroller')!;
  }

  /**
   * Once per frame: received text goes through the terminal; whole lines go into the page as a
   * block, at most MAX_APPEND_CHARS a frame (the rest waits for the next frame), and the line
   * being written is redrawn. When more is waiting than the page would keep anyway, the head is
   * skipped without ever touching the DOM.
   */
  #flush() {
    this.#frame = 0;
    const out = this.renderRoot.querySelector('pre')!;
    this.#partial ??= out.appendChild(document.createElement('span'));
    for (const piece of this.#skipHead(this.#incoming)) {
      for (const line of this.#terminal.feed(piece.text, piece.at)) {
        this.#lines.push(line);
        this.#linesChars += line.length + 1;
      }
    }
    this.#incoming = [];
    while (this.#linesChars > MAX_DOM_CHARS && this.#lines.length > 0) {
      const dropped = this.#lines.shift()!;
      this.#linesChars -= dropped.length + 1;
      this.hiddenBytes += dropped.length + 1;
    }
    let chars = 0;
    let taken = 0;
    while (taken < this.#lines.length && (taken === 0 || chars + this.#lines[taken]!.length < MAX_APPEND_CHARS)) chars += this.#lines[taken++]!.length + 1;
    if (taken > 0) {
      const block = { el: document.createElement('div'), lines: this.#lines.splice(0, taken), chars };
      this.#linesChars -= chars;
      appendLines(block.el, block.lines, this.timestamps);
      out.insertBefore(block.el, this.#partial);
      this.#blocks.push(block);
      this.#domChars += chars;
    }
    this.#drawPartial();
    this.#trim();
    if (this.#follow) this.#scroller.scrollTop = this.#scroller.scrollHeight;
    if (this.#lines.length > 0) this.#frame = requestAnimationFrame(() => this.#flush());
  }

  /** The received pieces, or when they hold more than the page keeps, only their end, from a line start (everything older is skipped). */
  #skipHead(pieces: { text: string; at: number | null }[]) {
    let total = 0;
    for (const p of pieces) total += p.text.length;
    if (total <= MAX_DOM_CHARS) return pieces;
    let skip = total - MAX_DOM_CHARS;
    const kept: typeof pieces = [];
    for (const p of pieces) {
      if (skip >= p.text.length) skip -= p.text.length;
      else if (skip > 0) {
        const from = p.text.indexOf('\n', skip) + 1 || skip;
        kept.push({ text: p.text.slice(from), at: p.at });
        skip = 0;
      } else kept.push(p);
    }
    this.hiddenBytes += total - kept.reduce((n, p) => n + p.text.length, 0) + this.#linesChars + this.#domChars;
    for (const block of this.#blocks) block.el.remove();
    this.#blocks = [];
    this.#lines = [];
    this.#linesChars = this.#domChars = 0;
    this.#terminal.dropPartial();
    return kept;
  }

  #trim() {
    while (this.#domChars > MAX_DOM_CHARS && this.#blocks.length > 0) {
      const removed = this.#blocks.shift()!;
      removed.el.remove();
      this.#domChars -= removed.chars;
      this.hiddenBytes += removed.chars;
    }
  }

  /** The line being written, as it shows now. */
  #drawPartial() {
    this.#partial!.replaceChildren();
    const partial = this.#terminal.partial();
    if (partial.length > 0) appendLines(this.#partial!, [partial], this.timestamps);
  }

  #onScroll() {
    const s = this.#scroller;
    this.#follow = s.scrollHeight - s.scrollTop - s.clientHeight < FOLLOW_SLACK_PX;
  }

  #toggleTimestamps(e: Event) {
    this.timestamps = (e.target as HTMLInputElement).checked;
    localStorage.setItem(TIMESTAMPS_KEY, String(this.timestamps));
    // Times are drawn only while shown: a plain page stays one text node per block.
    for (const block of this.#blocks) {
      block.el.replaceChildren();
      appendLines(block.el, block.lines, this.timestamps);
    }
    if (this.#partial) this.#drawPartial();
  }

  async #plainText(e: Event) {
    e.preventDefault();
    try {
      window.open(await downloadUrl(`${buildPath(this.job, this.buildRef)}/log${this.timestamps ? '?timestamps=true' : ''}`), '_blank', 'noopener');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    terminalStyles,
    css`
      .scroller { background: var(--jk-console-bg); color: var(--jk-console-text); border-radius: var(--jk-radius); height: max(20rem, calc(100vh - 16rem)); overflow: auto; }
      pre { margin: 0; padding: var(--jk-space-3) var(--jk-space-4); white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.45; }
      pre > div { display: block; }
      .bar { font-size: var(--jk-text-sm); margin-bottom: var(--jk-space-2); gap: var(--jk-space-3); }
      .live { color: var(--jk-running); font-weight: 600; }
    `,
  ];

  override render() {
    return html`<div class="row bar">
        <span>${this.ended ? nothing : html`<span class="live" role="status">● Live</span>`}
          ${this.hiddenBytes > 0 ? html`<span class="muted">Skipping about ${bytes(this.hiddenBytes)} of earlier output.</span>` : nothing}</span>
        <span class="spacer"></span>
        <label><input type="checkbox" class="timestamps" .checked=${this.timestamps} @change=${this.#toggleTimestamps} /> Timestamps</label>
        <a href="#" @click=${this.#plainText}>View as plain text</a>
      </div>
      <div class="scroller" tabindex="0" aria-label="Console output" @scroll=${this.#onScroll}><pre></pre></div>`;
  }
}
customElements.define('jk-console', JkConsole);
