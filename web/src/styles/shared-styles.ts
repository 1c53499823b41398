/** Styles every page shares (buttons, tables, forms, panels), built on the tokens in tokens.css. */
import { css } from 'lit';

export const sharedStyles = css`
  :host { display: block; }
  *, *::before, *::after { box-sizing: border-box; }
  a { color: var(--jk-accent); text-decoration: none; }
  a:hover { text-decoration: underline; }
  :focus-visible { outline: 2px solid var(--jk-focus); outline-offset: 2px; }
  h1 { font-size: var(--jk-text-xl); margin: 0 0 var(--jk-space-4); font-weight: 650; overflow-wrap: anywhere; }
  h2 { font-size: var(--jk-text-lg); margin: var(--jk-space-5) 0 var(--jk-space-3); font-weight: 600; }
  h3 { font-size: 1rem; margin: var(--jk-space-4) 0 var(--jk-space-2); font-weight: 600; }
  p { margin: 0 0 var(--jk-space-3); }
  .muted { color: var(--jk-muted); }
  .mono, code, pre, textarea.code { font-family: var(--jk-font-mono); font-size: var(--jk-text-sm); }
  .panel {
    background: var(--jk-surface); border: 1px solid var(--jk-border); border-radius: var(--jk-radius);
    box-shadow: var(--jk-shadow); padding: var(--jk-space-4);
  }
  .panel + .panel { margin-top: var(--jk-space-4); }
  .panel > h2:first-child, .panel > h3:first-child { margin-top: 0; }
  .row { display: flex; gap: var(--jk-space-2); align-items: center; flex-wrap: wrap; }
  .spacer { flex: 1; }
  .empty { color: var(--jk-muted); padding: var(--jk-space-5); text-align: center; }
  .error { color: var(--jk-failure); }
  .banner { border-radius: var(--jk-radius-sm); padding: var(--jk-space-2) var(--jk-space-3); margin-bottom: var(--jk-space-3); }
  .banner.error { background: #fdecec; border: 1px solid #f3c2c2; }
  .banner.info { background: var(--jk-accent-soft); border: 1px solid #c5d9f1; color: var(--jk-text-color); }

  button, .button {
    font: inherit; font-size: var(--jk-text-sm); font-weight: 550; cursor: pointer;
    display: inline-flex; align-items: center; gap: var(--jk-space-1);
    padding: 6px 14px; border-radius: var(--jk-radius-sm);
    border: 1px solid var(--jk-border); background: var(--jk-surface); color: var(--jk-text-color);
  }
  button:hover, .button:hover { background: var(--jk-surface-2); text-decoration: none; }
  button.primary, .button.primary { background: var(--jk-accent); border-color: var(--jk-accent); color: #fff; }
  button.primary:hover, .button.primary:hover { background: var(--jk-accent-strong); }
  button.danger { color: var(--jk-failure); border-color: #eab4b4; }
  button.danger:hover { background: #fdecec; }
  button:disabled { opacity: 0.55; cursor: default; }
  button.icon { padding: 4px 8px; }

  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--jk-border); vertical-align: middle; }
  th { font-size: var(--jk-text-sm); color: var(--jk-muted); font-weight: 600; background: var(--jk-surface-2); }
  tr:last-child td { border-bottom: none; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }

  label { display: block; font-weight: 600; font-size: var(--jk-text-sm); margin-bottom: var(--jk-space-1); }
  .field { margin-bottom: var(--jk-space-4); }
  .field .hint { font-size: var(--jk-text-sm); color: var(--jk-muted); margin-top: 2px; }
  .field .field-error { font-size: var(--jk-text-sm); color: var(--jk-failure); margin-top: 2px; }
  input[type='text'], input[type='password'], input[type='number'], input[type='url'], input:not([type]), select, textarea {
    font: inherit; width: 100%; max-width: 40rem; padding: 7px 9px; border: 1px solid var(--jk-border);
    border-radius: var(--jk-radius-sm); background: var(--jk-surface); color: var(--jk-text-color);
  }
  textarea { min-height: 5rem; resize: vertical; }
  textarea.code { max-width: none; min-height: 9rem; tab-size: 4; background: #fbfcfd; line-height: 1.4; }
  input[aria-invalid='true'], textarea[aria-invalid='true'], select[aria-invalid='true'] { border-color: var(--jk-failure); }
  .check { display: flex; gap: var(--jk-space-2); align-items: center; font-weight: 500; }
  .check input { margin: 0; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
