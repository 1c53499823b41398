/**
 * A timer just past every minute boundary (the timer trigger's and Poll SCM's clock): each call of
 * `onMinute(minuteStartMs)` waits for the one before, and `stop()` for the one running.
 */
export const MINUTE = 60_000;

export class MinuteTimer {
  readonly #now: () => number;
  readonly #onMinute: (minute: number) => Promise<unknown>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(now: () => number, onMinute: (minute: number) => Promise<unknown>) {
    this.#now = now;
    this.#onMinute = onMinute;
  }

  start(): void {
    const schedule = () => {
      this.#timer = setTimeout(() => {
        const minute = Math.floor(this.#now() / MINUTE) * MINUTE;
        this.#running = this.#running.then(() => this.#onMinute(minute));
        schedule();
      }, MINUTE - (this.#now() % MINUTE) + 5);
      this.#timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#running;
  }
}
