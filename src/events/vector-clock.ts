import type { MachineId, VectorClock } from './types.js';

/** How two vector clocks relate. */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

export const emptyClock: VectorClock = Object.freeze({});

export function increment(clock: VectorClock, machine: MachineId): VectorClock {
  return { ...clock, [machine]: (clock[machine] ?? 0) + 1 };
}

/** Pointwise maximum: commutative, associative, idempotent. */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  const out: Record<MachineId, number> = { ...a };
  for (const [machine, n] of Object.entries(b)) {
    if (n > (out[machine] ?? 0)) out[machine] = n;
  }
  return out;
}

export function compare(a: VectorClock, b: VectorClock): ClockOrder {
  let aBigger = false;
  let bBigger = false;
  for (const machine of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[machine] ?? 0;
    const y = b[machine] ?? 0;
    if (x > y) aBigger = true;
    else if (y > x) bBigger = true;
  }
  if (aBigger && bBigger) return 'concurrent';
  if (aBigger) return 'after';
  if (bBigger) return 'before';
  return 'equal';
}

/** a → b: every event a has seen, b has seen too, and b has seen more. */
export function happenedBefore(a: VectorClock, b: VectorClock): boolean {
  return compare(a, b) === 'before';
}

export function concurrent(a: VectorClock, b: VectorClock): boolean {
  return compare(a, b) === 'concurrent';
}
