/**
 * Server-sent events with the session's token. The browser's own EventSource cannot send an
 * Authorization header, so this uses the `eventsource` package (the WHATWG algorithm: reconnects,
 * Last-Event-ID) with a fetch that adds the current token on every (re)connect.
 */
import { EventSource } from 'eventsource';
import { authHeaders } from './http.ts';
import { session } from './session.ts';

export interface StreamHandlers {
  /** Called per event with its name, parsed JSON data and id (the console's byte offset). */
  onEvent(type: string, data: unknown, id: string): void;
  /** The stream (re)connected: refresh what may have been missed. */
  onOpen?(): void;
}

/** Opens a stream for `url`, delivering the named `events`; returns the function that closes it. */
export function openEventStream(url: string, events: string[], handlers: StreamHandlers): () => void {
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...authHeaders() } }),
  });
  for (const type of events) {
    source.addEventListener(type, (e) => handlers.onEvent(type, JSON.parse(e.data) as unknown, e.lastEventId));
  }
  source.addEventListener('open', () => handlers.onOpen?.());
  source.addEventListener('error', (e) => {
    // A refused token closes the stream for good; the session decides what the page shows.
    if ((e as { code?: number }).code === 401) session.end('expired');
  });
  return () => source.close();
}
