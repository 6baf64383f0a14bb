import { chunkId as keyedChunkId } from './chunk-id.js';
import { sealChunk } from './content-seal.js';
import { chunkBoundaries, type FastCdcParams } from './fastcdc.js';

/**
 * The CPU work of storing content — cut (FastCDC), name (HMAC), seal (XChaCha20-Poly1305) — as plain
 * functions, run in a worker thread (chunk-worker.ts) or, without one, inline. Sealing is a second step so that
 * chunks the store already holds are never sealed at all.
 */

export interface CutPiece {
  readonly chunkId: string;
  readonly start: number;
  readonly end: number;
}

export interface CutResult {
  readonly pieces: CutPiece[];
  /** Bytes covered by the pieces: all of `data`, or with `settledOnly` up to the last final cut. */
  readonly settledBytes: number;
}

export function cutAndName(
  data: Uint8Array,
  params: FastCdcParams,
  chunkIdKey: Uint8Array,
  settledOnly: boolean,
): CutResult {
  const all = chunkBoundaries(data, params);
  // The last piece of a file still being written may grow: its cut point is not final yet.
  const cuts = settledOnly ? all.slice(0, -1) : all;
  const pieces: CutPiece[] = [];
  let start = 0;
  for (const end of cuts) {
    pieces.push({ chunkId: keyedChunkId(chunkIdKey, data.subarray(start, end)), start, end });
    start = end;
  }
  return { pieces, settledBytes: start };
}

export function sealPieces(
  data: Uint8Array,
  pieces: readonly CutPiece[],
  ns: string,
  dataKey: Uint8Array,
  epoch: number,
): Uint8Array[] {
  return pieces.map((p) => sealChunk(dataKey, ns, p.chunkId, data.subarray(p.start, p.end), epoch));
}
