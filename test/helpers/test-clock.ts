/**
 * The master's clock in a test (master/src/clock.ts): the real time plus what the test moved it
 * forward by. Time still passes (heartbeats, tokens and quiet periods behave as in production), and
 * a test that needs 30 s of silence moves the clock 30 s instead of waiting for them.
 */
import type { Clock } from '../../master/src/clock.ts';

export class TestClock {
  #ahead = 0;
  readonly now: Clock = () => Date.now() + this.#ahead;

  /** Moves the master's time forward by `ms`. */
  advance(ms: number): void {
    this.#ahead += ms;
  }
}
