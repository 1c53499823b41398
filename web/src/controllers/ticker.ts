/** Re-renders its host every `ms` while connected: elapsed times and progress bars move on their own. */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class TickerController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #ms: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(host: ReactiveControllerHost, ms = 1000) {
    this.#host = host;
    this.#ms = ms;
    host.addController(this);
  }

  hostConnected(): void {
    this.#timer = setInterval(() => this.#host.requestUpdate(), this.#ms);
  }

  hostDisconnected(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
