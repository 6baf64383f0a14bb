import type { Hlc } from './types.js';

/**
 * Hybrid logical clock (Kulkarni et al., 2014): wall milliseconds that never run backwards, plus a counter for
 * events within one millisecond or while the local wall clock lags. Pure: the caller passes the time in.
 */

export const ZERO_HLC: Hlc = Object.freeze({ wallMs: 0, counter: 0 });

/**
 * How far a remote stamp may run ahead of local time before its events are held back. Without the bound, one
 * machine with a clock set to 2099 would drag every HLC in the cluster there for good.
 */
export const MAX_CLOCK_AHEAD_MS = 60_000;

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return 0;
}

/** The stamp for a local event: strictly greater than `last`, even if the wall clock went backwards. */
export function tick(last: Hlc, nowMs: number): Hlc {
  const now = Math.floor(nowMs);
  if (now > last.wallMs) return { wallMs: now, counter: 0 };
  return { wallMs: last.wallMs, counter: last.counter + 1 };
}

/** The stamp after seeing a remote event: strictly greater than both `last` and `remote`. */
export function receive(last: Hlc, remote: Hlc, nowMs: number): Hlc {
  const now = Math.floor(nowMs);
  const wallMs = Math.max(last.wallMs, remote.wallMs, now);
  if (wallMs === last.wallMs && wallMs === remote.wallMs) {
    return { wallMs, counter: Math.max(last.counter, remote.counter) + 1 };
  }
  if (wallMs === last.wallMs) return { wallMs, counter: last.counter + 1 };
  if (wallMs === remote.wallMs) return { wallMs, counter: remote.counter + 1 };
  return { wallMs, counter: 0 };
}

/** True when `remote` is more than `maxAheadMs` ahead of local time: the caller holds such events back. */
export function isTooFarAhead(remote: Hlc, nowMs: number, maxAheadMs: number = MAX_CLOCK_AHEAD_MS): boolean {
  return remote.wallMs - nowMs > maxAheadMs;
}
