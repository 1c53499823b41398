/**
 * The build state machine: one pure function, no I/O. The builds service applies it inside a
 * transaction; nothing else changes a build's state.
 *
 *   queued ──start──► running ──finish / agentLost──► finished
 *     │                  │
 *     └─cancel / abort─► cancelled      abort (running): remembered in abortResult; the build ends with it
 */
import { worseResult, type BuildResult, type BuildState } from '../../../shared/src/build.ts';

export interface BuildStatus {
  state: BuildState;
  result: BuildResult | null;
  /** Set once an abort or a timeout was asked for: the result the build will end with. */
  abortResult: 'ABORTED' | 'FAILURE' | null;
}

export type BuildEvent =
  | { type: 'start' }
  | { type: 'cancel' }
  | { type: 'abort'; result: 'ABORTED' | 'FAILURE' }
  | { type: 'finish'; reported: BuildResult }
  | { type: 'agentLost' };

export type Transition = { ok: true; next: BuildStatus } | { ok: false; reason: string };

export function transition(build: BuildStatus, event: BuildEvent): Transition {
  const refuse = (reason: string): Transition => ({ ok: false, reason });
  switch (event.type) {
    case 'start':
      return build.state === 'queued' ? { ok: true, next: { ...build, state: 'running' } } : refuse(`the build is ${build.state}, not queued`);
    case 'cancel':
      return build.state === 'queued' ? { ok: true, next: { ...build, state: 'cancelled' } } : refuse(`the build is ${build.state}, not queued`);
    case 'abort':
      if (build.state === 'queued') return { ok: true, next: { ...build, state: 'cancelled' } };
      if (build.state !== 'running') return refuse(`the build is already ${build.state}`);
      // The first abort decides (a timeout that fires after a person aborted stays ABORTED).
      return { ok: true, next: { ...build, abortResult: build.abortResult ?? event.result } };
    case 'finish': {
      if (build.state !== 'running') return refuse(`the build is ${build.state}, not running`);
      // An abort decides the result: ABORTED when a person stopped it, FAILURE for a timeout
      // (Jenkins' build-timeout FailOperation), whatever the killed steps reported.
      const result = build.abortResult ?? event.reported;
      return { ok: true, next: { ...build, state: 'finished', result } };
    }
    case 'agentLost':
      if (build.state !== 'running') return refuse(`the build is ${build.state}, not running`);
      return { ok: true, next: { ...build, state: 'finished', result: worseResult('FAILURE', build.abortResult ?? 'FAILURE') } };
  }
}
