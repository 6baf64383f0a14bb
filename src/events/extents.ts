/**
 * A file version's extents as positions in the file (types.ts, `Extent`): where each chunk starts, and back to
 * the compact form events carry, an offset only after a hole. Pure.
 */
import type { Extent } from './types.js';

/** An extent with its position in the file made explicit. */
export interface PlacedExtent {
  readonly chunkId: string;
  readonly lengthBytes: number;
  readonly offsetBytes: number;
}

/** Every extent with its offset: given, or right after the previous one. */
export function placeExtents(extents: readonly Extent[]): PlacedExtent[] {
  const out: PlacedExtent[] = [];
  let end = 0;
  for (const e of extents) {
    const offsetBytes = e.offsetBytes ?? end;
    out.push({ chunkId: e.chunkId, lengthBytes: e.lengthBytes, offsetBytes });
    end = offsetBytes + e.lengthBytes;
  }
  return out;
}

/** The compact form: `offsetBytes` only where a hole comes before the extent. */
export function compactExtents(placed: readonly PlacedExtent[]): Extent[] {
  let end = 0;
  return placed.map((e) => {
    const at = e.offsetBytes === end ? {} : { offsetBytes: e.offsetBytes };
    end = e.offsetBytes + e.lengthBytes;
    return { chunkId: e.chunkId, lengthBytes: e.lengthBytes, ...at };
  });
}

/** Where the last extent ends: the bytes past it, up to the file's size, are a hole. */
export function extentsEnd(extents: readonly Extent[]): number {
  let end = 0;
  for (const e of extents) end = (e.offsetBytes ?? end) + e.lengthBytes;
  return end;
}

/** The bytes the extents hold (holes excluded): what st_blocks counts. */
export function storedBytes(extents: readonly Extent[]): number {
  let sum = 0;
  for (const e of extents) sum += e.lengthBytes;
  return sum;
}

/** Why these extents cannot describe a file of `sizeBytes` (out of order, overlapping, past the end), or undefined. */
export function extentsProblem(extents: readonly Extent[], sizeBytes: number): string | undefined {
  let end = 0;
  for (const [i, e] of extents.entries()) {
    if (e.offsetBytes !== undefined && e.offsetBytes < end) {
      return `extent ${i} starts at ${e.offsetBytes}, before the previous one ends (${end})`;
    }
    end = (e.offsetBytes ?? end) + e.lengthBytes;
  }
  if (end > sizeBytes) return `the extents end at ${end}, past the file's size ${sizeBytes}`;
  return undefined;
}
