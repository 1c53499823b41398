/**
 * A build's result as a coloured ball (animated while building) and a job's weather. Plain
 * templates rather than elements: the job table draws thousands of them.
 */
import { css, html } from 'lit';
import type { BuildResult } from '../api/types.ts';
import { icons } from './icons.ts';

const LABELS: Record<string, string> = {
  SUCCESS: 'Success', UNSTABLE: 'Unstable', FAILURE: 'Failed', NOT_BUILT: 'Not built', ABORTED: 'Aborted', none: 'Never built', disabled: 'Disabled', queued: 'In the queue',
  running: 'In progress',
};

export const statusStyles = css`
  .ball { display: inline-block; width: 14px; height: 14px; border-radius: 50%; background: var(--jk-not-built); border: 2px solid transparent; vertical-align: middle; flex: none; }
  .ball.SUCCESS { background: var(--jk-success); }
  .ball.UNSTABLE { background: var(--jk-unstable); }
  .ball.FAILURE { background: var(--jk-failure); }
  .ball.ABORTED, .ball.disabled { background: var(--jk-aborted); }
  .ball.none, .ball.queued { background: transparent; border-color: var(--jk-not-built); }
  .ball.running { background: var(--jk-running); }
  .ball.building { animation: jk-pulse 1.2s ease-in-out infinite; border-color: var(--jk-running); }
  @keyframes jk-pulse { 50% { opacity: 0.3; } }
  @media (prefers-reduced-motion: reduce) { .ball.building { animation: none; } }
  .weather { display: inline-flex; width: 1.6em; justify-content: center; vertical-align: middle; }
`;

/**
 * `result` is the last completed build's (null: none); `building` animates it. A first build that
 * is running has no result yet: it is "In progress", not "Never built".
 */
export function statusBall(result: BuildResult | 'disabled' | null, options: { building?: boolean; disabled?: boolean; queued?: boolean } = {}) {
  const key = options.disabled ? 'disabled' : (result ?? (options.building ? 'running' : options.queued ? 'queued' : 'none'));
  const label = key === 'running' ? LABELS.running! : `${LABELS[key] ?? key}${options.building ? ', building now' : ''}`;
  return html`<span class="ball ${key} ${options.building ? 'building' : ''}" role="img" aria-label=${label} title=${label}></span>`;
}

/** Jenkins' weather: the score picks the icon, the server's sentence says how many builds it counted. */
export function weather(health: number | null, description: string | null) {
  if (health === null) return html`<span class="weather muted" role="img" aria-label="No builds yet" title="No builds yet">–</span>`;
  const [icon, word] = health > 80 ? [icons.sun, 'Sunny'] : health > 60 ? [icons.partlySunny, 'Partly sunny'] : health > 40 ? [icons.cloudy, 'Cloudy'] : health > 20 ? [icons.rain, 'Rain'] : [icons.storm, 'Storm'];
  const label = `${word}: ${description ?? `${health}%`}`;
  return html`<span class="weather" role="img" aria-label=${label} title=${label}>${icon}</span>`;
}
