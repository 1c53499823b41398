/**
 * Live events for components: one `/api/events` stream for the whole page, opened while any
 * component listens and closed when none does. A component adds a LiveEventsController; its
 * callback gets each event, and `null` after every (re)connect, meaning "reload: you may have
 * missed something". With `loadNow` it also gets `null` as soon as the component connects, for a
 * component that loads only on `null` and need not wait for the stream to open.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { JonkkinsEvent } from '../../../shared/src/events.ts';
import { openEventStream } from '../api/event-stream.ts';

type Listener = (event: JonkkinsEvent | null) => void;
const EVENT_TYPES = ['build.queued', 'build.started', 'build.finished', 'agent.online', 'agent.offline', 'queue.changed', 'job.changed'];

const listeners = new Set<Listener>();
let close: (() => void) | null = null;

function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  close ??= openEventStream('/api/events', EVENT_TYPES, {
    onEvent: (_type, data) => listeners.forEach((l) => l(data as JonkkinsEvent)),
    onOpen: () => listeners.forEach((l) => l(null)),
  });
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      close?.();
      close = null;
    }
  };
}

export class LiveEventsController implements ReactiveController {
  readonly #listener: Listener;
  #unsubscribe: (() => void) | null = null;

  readonly #loadNow: boolean;

  constructor(host: ReactiveControllerHost, listener: Listener, { loadNow = false }: { loadNow?: boolean } = {}) {
    this.#listener = listener;
    this.#loadNow = loadNow;
    host.addController(this);
  }

  hostConnected(): void {
    this.#unsubscribe = subscribe(this.#listener);
    if (this.#loadNow) this.#listener(null);
  }

  hostDisconnected(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }
}

/**
 * Coalesces bursts (1,000 builds finishing) into at most one reload per `ms`: the first call runs
 * at once (a page opening must not wait), calls within the next `ms` make one more run at its end.
 * A live page must not refetch per event.
 */
export function coalesce(fn: () => void, ms = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let again = false;
  const run = () => {
    fn();
    timer = setTimeout(() => {
      timer = null;
      if (again) {
        again = false;
        run();
      }
    }, ms);
  };
  return () => {
    if (timer) again = true;
    else run();
  };
}
