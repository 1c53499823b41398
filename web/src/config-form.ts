/**
 * Field renderers for editing a JSON document in place (the job's configuration): each field reads
 * and writes one path of the draft and shows the server's message for that path next to itself.
 */
import { html, nothing } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';

export type Path = (string | number)[];
type Doc = Record<string, unknown>;

export class DraftForm {
  readonly draft: Doc;
  errors = new Map<string, string>();
  readonly #changed: () => void;

  constructor(draft: Doc, changed: () => void) {
    this.draft = draft;
    this.#changed = changed;
  }

  get(path: Path): unknown {
    let v: unknown = this.draft;
    for (const k of path) v = v == null ? undefined : (v as Doc)[k as string];
    return v;
  }

  /** Sets a value; `undefined` removes the key (so optional fields stay absent, not empty). */
  set(path: Path, value: unknown): void {
    let parent = this.draft as Doc;
    path.slice(0, -1).forEach((k, i) => {
      parent[k as string] ??= typeof path[i + 1] === 'number' ? [] : {};
      parent = parent[k as string] as Doc;
    });
    const last = path.at(-1) as string;
    if (value === undefined) delete parent[last];
    else parent[last] = value;
    this.#changed();
  }

  list(path: Path): unknown[] {
    return (this.get(path) as unknown[] | undefined) ?? [];
  }

  add(path: Path, item: unknown): void {
    this.set(path, [...this.list(path), item]);
  }

  remove(path: Path, index: number): void {
    this.set(path, this.list(path).filter((_, i) => i !== index));
  }

  move(path: Path, index: number, by: number): void {
    const items = [...this.list(path)];
    const to = index + by;
    if (to < 0 || to >= items.length) return;
    [items[index], items[to]] = [items[to], items[index]];
    this.set(path, items);
  }

  #error(path: Path) {
    const message = this.errors.get(path.join('.'));
    return message ? html`<div class="field-error" role="alert">${message}</div>` : nothing;
  }

  #id = (path: Path) => `f-${path.join('-')}`;

  text(path: Path, label: string, options: { hint?: string; placeholder?: string; type?: string; emptyAsUndefined?: boolean; parse?: (raw: string) => unknown } = {}) {
    const id = this.#id(path);
    const value = this.get(path);
    return html`<div class="field"><label for=${id}>${label}</label>
      <input id=${id} type=${options.type ?? 'text'} .value=${value === undefined || value === null ? '' : String(value)} placeholder=${ifDefined(options.placeholder)}
        aria-invalid=${this.errors.has(path.join('.')) ? 'true' : 'false'}
        @input=${(e: InputEvent) => {
          const raw = (e.target as HTMLInputElement).value;
          this.set(path, raw === '' && options.emptyAsUndefined ? undefined : options.parse ? options.parse(raw) : raw);
        }}>
      ${options.hint ? html`<div class="hint">${options.hint}</div>` : nothing}${this.#error(path)}</div>`;
  }

  number(path: Path, label: string, options: { hint?: string; min?: number; step?: string; nullable?: boolean } = {}) {
    const id = this.#id(path);
    const value = this.get(path);
    return html`<div class="field"><label for=${id}>${label}</label>
      <input id=${id} type="number" min=${ifDefined(options.min)} step=${options.step ?? '1'} .value=${value === undefined || value === null ? '' : String(value)}
        aria-invalid=${this.errors.has(path.join('.')) ? 'true' : 'false'}
        @input=${(e: InputEvent) => {
          const raw = (e.target as HTMLInputElement).value;
          this.set(path, raw === '' ? (options.nullable ? null : undefined) : Number(raw));
        }}>
      ${options.hint ? html`<div class="hint">${options.hint}</div>` : nothing}${this.#error(path)}</div>`;
  }

  textarea(path: Path, label: string, options: { code?: boolean; hint?: string; rows?: number } = {}) {
    const id = this.#id(path);
    return html`<div class="field"><label for=${id}>${label}</label>
      <textarea id=${id} class=${options.code ? 'code' : ''} rows=${options.rows ?? (options.code ? 8 : 3)} spellcheck=${options.code ? 'false' : 'true'}
        .value=${String(this.get(path) ?? '')} aria-invalid=${this.errors.has(path.join('.')) ? 'true' : 'false'}
        @keydown=${options.code ? insertTab : null}
        @input=${(e: InputEvent) => this.set(path, (e.target as HTMLTextAreaElement).value)}></textarea>
      ${options.hint ? html`<div class="hint">${options.hint}</div>` : nothing}${this.#error(path)}</div>`;
  }

  check(path: Path, label: string, hint?: string) {
    const id = this.#id(path);
    return html`<div class="field"><label class="check"><input id=${id} type="checkbox" .checked=${Boolean(this.get(path))}
      @change=${(e: Event) => this.set(path, (e.target as HTMLInputElement).checked)}> ${label}</label>
      ${hint ? html`<div class="hint">${hint}</div>` : nothing}${this.#error(path)}</div>`;
  }

  /** A drop-down; a choice is a value, or a value and the words people see for it. */
  select(path: Path, label: string, choices: readonly (string | readonly [value: string, text: string])[], options: { optional?: boolean } = {}) {
    const id = this.#id(path);
    const value = this.get(path);
    return html`<div class="field"><label for=${id}>${label}</label>
      <select id=${id} @change=${(e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        this.set(path, v === '' ? undefined : v);
      }}>
        ${options.optional ? html`<option value="" ?selected=${value === undefined}>—</option>` : nothing}
        ${choices.map((c) => (typeof c === 'string' ? [c, c] : c)).map(([v, text]) => html`<option .value=${v} ?selected=${v === value}>${text}</option>`)}
      </select>${this.#error(path)}</div>`;
  }

  /** Error text for a path, for fields drawn by hand. */
  errorAt(path: Path) {
    return this.#error(path);
  }
}

/** Tab in a script editor inserts a tab; Escape then Tab leaves the field (keyboard users are not trapped). */
let escaped = false;
function insertTab(e: KeyboardEvent) {
  if (e.key === 'Escape') escaped = true;
  if (e.key !== 'Tab' || e.shiftKey || escaped) {
    if (e.key !== 'Escape') escaped = false;
    return;
  }
  e.preventDefault();
  const ta = e.target as HTMLTextAreaElement;
  ta.setRangeText('\t', ta.selectionStart, ta.selectionEnd, 'end');
  ta.dispatchEvent(new Event('input', { bubbles: true }));
}
