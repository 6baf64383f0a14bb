/**
 * Which (author, seq) pairs a projection has applied, so a redelivered event changes nothing. Events mostly
 * arrive in seq order per author, so a watermark plus a small set of early arrivals keeps this tiny.
 */
import type { MachineId } from '../../events/types.js';
import type { SeenSeqs } from './state.js';

/** Records (author, seq); returns the author's record, or undefined if the pair was already recorded. */
export function markSeen(
  seen: Map<MachineId, SeenSeqs>,
  author: MachineId,
  seq: number,
): SeenSeqs | undefined {
  let s = seen.get(author);
  if (s === undefined) {
    s = { author, upTo: 0, above: new Set() };
    seen.set(author, s);
  }
  if (seq <= s.upTo || s.above.has(seq)) return undefined;
  if (seq !== s.upTo + 1) {
    s.above.add(seq);
    return s;
  }
  s.upTo = seq;
  while (s.above.delete(s.upTo + 1)) s.upTo++;
  return s;
}
