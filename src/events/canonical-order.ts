import type { Hlc, MachineId, TgfsEvent } from './types.js';

/** The fields that place an event in the canonical order `(hlc, author, seq)` (design.md, "Order"). */
export interface OrderPosition {
  readonly hlc: Hlc;
  readonly author: MachineId;
  readonly seq: number;
}

export function positionOf(event: TgfsEvent): OrderPosition {
  return { hlc: event.hlc, author: event.author, seq: event.seq };
}

/** Total order extending happened-before, since the HLC of an event exceeds that of every event it saw. */
export function compareCanonical(a: OrderPosition, b: OrderPosition): number {
  if (a.hlc.wallMs !== b.hlc.wallMs) return a.hlc.wallMs < b.hlc.wallMs ? -1 : 1;
  if (a.hlc.counter !== b.hlc.counter) return a.hlc.counter < b.hlc.counter ? -1 : 1;
  if (a.author !== b.author) return a.author < b.author ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/**
 * A fixed-width string key that sorts like compareCanonical, for LevelDB indexes.
 * wall: 13 hex digits (ms up to year 10889), counter: 8 hex digits, author (uuid, 36), seq: 10 hex digits.
 */
export function orderKey(p: OrderPosition): string {
  return (
    p.hlc.wallMs.toString(16).padStart(13, '0') +
    p.hlc.counter.toString(16).padStart(8, '0') +
    p.author +
    p.seq.toString(16).padStart(10, '0')
  );
}
