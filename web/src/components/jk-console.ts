/**
 * A build's console, live. It streams from the server (SSE, resumable by byte offset) and renders
 * incrementally: text arrives in batches once per frame as plain text nodes (so nothing in a log
 * is ever HTML), whole lines go into blocks of their own, and only the newest MAX_DOM_CHARS stay
 * in the page — a 100 MB log stays smooth; the whole of it is one "plain text" click away. The view
 * follows the tail unless the person scrolls up.
 */
import { LitElement, css, html, nothing } from 'lit';
import { openEventStream } from '../api/event-stream.ts';
import { buildPath } from '../api/jobs.ts';
import { downloadUrl } from '../api/people.ts';
import { bytes } from '../format.ts';
import { sharedStyles } from '../styles/shared-styles.ts';
import { toast } from './jk-toast.ts';

/** Bytes of an old log shown when the page opens (Jenkins also starts large logs near the end). */
const INITIAL_TAIL_BYTES = 1024 * 1024;
/** Characters kept in the page; older blocks are dropped. */
const MAX_DOM_CHARS = 1024 * 1024;
/** Characters added to the page per frame, so that no frame does much layout. */
const MAX_APPEND_CHARS = 64 * 1024; // ~16 ms of text layout per frame here (256 K took 70–90 ms)
/** A partial line longer than this is shown without waiting for its newline. */
const MAX_PENDING_LINE = 64 * 1024;
const FOLLOW_SLACK_PX = 48;
// Terminal colour/cursor codes: shown as nothing rather than as escape garbage.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export class JkConsole extends LitElement {
  static override properties = { job: {}, buildRef: {}, logSize: { type: Number }, hiddenBytes: { state: true }, ended: { state: true } };
  declare job: string;
  declare buildRef: string;
  /** The log's size when the page opened: where to start when it is large. */
  declare logSize: number;
  declare hiddenBytes: number;
  declare ended: boolean;

  #close: (() => void) | null = null;
  #incoming: string[] = [];
  /** Received text not in the page yet (whole lines over this frame's budget, and the line being written). */
  #queued = '';
  #partialNode: Text | null = null;
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
  }

  override firstUpdated() {
    const start = Math.max(0, this.logSize - INITIAL_TAIL_BYTES);
    this.hiddenBytes = start;
    this.#close = openEventStream(`${buildPath(this.job, this.buildRef)}/console?start=${start}`, ['log', 'end'], {
      onEvent: (type, data) => {
        if (type === 'log') this.#receive(data as string);
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
    this.#incoming.push(text);
    this.#frame ||= requestAnimationFrame(() => this.#flush());
  }

  get #scroller(): HTMLElement {
    return this.renderRoot.querySelector('.scroller')!;
  }

  /**
   * Once per frame: whole lines go into the page as a block of text, at most MAX_APPEND_CHARS a
   * frame (the rest waits for the next frame). When more is waiting than the page would keep
   * anyway, the head is skipped without ever touching the DOM.
   */
  #flush() {
    this.#frame = 0;
    const out = this.renderRoot.querySelector('pre')!;
    let fresh = this.#incoming.join('');
    this.#incoming = [];
    if (fresh.length > MAX_DOM_CHARS) {
      // More arrived than the page keeps: only its end matters (the ANSI pass then stays small).
      fresh = this.#keepEnd(out, fresh, this.#queued.length);
      this.#queued = '';
    }
    let text = this.#queued + fresh.replace(ANSI, '');
    if (text.length > MAX_DOM_CHARS) text = this.#keepEnd(out, text, 0);
    const window_ = text.slice(0, MAX_APPEND_CHARS);
    let take = window_.lastIndexOf('\n') + 1;
    if (take === 0 && window_.length >= MAX_PENDING_LINE) take = window_.length; // a very long line: show it as it comes
    if (take > 0) this.#append(out, text.slice(0, take));
    this.#queued = text.slice(take);
    this.#partialNode ??= out.appendChild(document.createTextNode(''));
    this.#partialNode.data = this.#queued.includes('\n') ? '' : this.#queued; // the line being written
    this.#trim(out);
    if (this.#follow) this.#scroller.scrollTop = this.#scroller.scrollHeight;
    if (this.#queued.includes('\n') || this.#queued.length >= MAX_PENDING_LINE) this.#frame = requestAnimationFrame(() => this.#flush());
  }

  /** The last MAX_DOM_CHARS of `text`, from a line start; everything older (the page's blocks, `older` queued characters) is skipped. */
  #keepEnd(out: HTMLElement, text: string, older: number): string {
    const from = text.indexOf('\n', text.length - MAX_DOM_CHARS) + 1 || text.length - MAX_DOM_CHARS;
    this.hiddenBytes += from + older + this.#domChars;
    for (const block of [...out.children]) block.remove();
    this.#domChars = 0;
    return text.slice(from);
  }

  #append(out: HTMLElement, text: string) {
    const block = document.createElement('div');
    block.textContent = text;
    out.insertBefore(block, this.#partialNode);
    this.#domChars += text.length;
  }

  #trim(out: HTMLElement) {
    while (this.#domChars > MAX_DOM_CHARS && out.firstElementChild) {
      const removed = out.firstElementChild.textContent?.length ?? 0;
      out.firstElementChild.remove();
      this.#domChars -= removed;
      this.hiddenBytes += removed;
    }
  }

  #onScroll() {
    const s = this.#scroller;
    this.#follow = s.scrollHeight - s.scrollTop - s.clientHeight < FOLLOW_SLACK_PX;
  }

  async #plainText(e: Event) {
    e.preventDefault();
    try {
      window.open(await downloadUrl(`${buildPath(this.job, this.buildRef)}/log`), '_blank', 'noopener');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }

  static override styles = [
    sharedStyles,
    css`
      .scroller { background: var(--jk-console-bg); color: var(--jk-console-text); border-radius: var(--jk-radius); height: max(20rem, calc(100vh - 16rem)); overflow: auto; }
      pre { margin: 0; padding: var(--jk-space-3) var(--jk-space-4); white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.45; }
      pre > div { display: block; }
      .bar { font-size: var(--jk-text-sm); margin-bottom: var(--jk-space-2); }
      .live { color: var(--jk-running); font-weight: 600; }
    `,
  ];

  override render() {
    return html`<div class="row bar">
        <span>${this.ended ? nothing : html`<span class="live" role="status">● Live</span>`}
          ${this.hiddenBytes > 0 ? html`<span class="muted">Skipping about ${bytes(this.hiddenBytes)} of earlier output.</span>` : nothing}</span>
        <span class="spacer"></span>
        <a href="#" @click=${this.#plainText}>View as plain text</a>
      </div>
      <div class="scroller" tabindex="0" aria-label="Console output" @scroll=${this.#onScroll}><pre></pre></div>`;
  }
}
customElements.define('jk-console', JkConsole);
