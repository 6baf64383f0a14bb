/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016) with normalized chunking (level 2): a gear
 * rolling hash, the first `minBytes` of each chunk skipped, a stricter mask before `avgBytes` and a looser one
 * after it, and a forced cut at `maxBytes`. Cut points depend only on nearby content, so an edit in the middle
 * of a large file changes the chunk or two around it and leaves the others (and their ids) as they were.
 *
 * Pure: no I/O. The gear table is derived from a fixed seed, so every machine cuts identically — changing the
 * seed, the masks or the loop would change every chunk id and defeat dedupe against existing data.
 */

export interface FastCdcParams {
  readonly minBytes: number;
  readonly avgBytes: number;
  readonly maxBytes: number;
}

/** Parameters for large files: 256 KiB / 1 MiB / 4 MiB. */
export const DEFAULT_CDC_PARAMS: FastCdcParams = Object.freeze({
  minBytes: 256 * 1024,
  avgBytes: 1024 * 1024,
  maxBytes: 4 * 1024 * 1024,
});

const GEAR_SEED = 0x74676673; // "tgfs"

// splitmix32: a tiny, well-mixed PRNG, enough to fill the table deterministically.
function gearTable(seed: number): Int32Array {
  const table = new Int32Array(256);
  let state = seed | 0;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
}

const GEAR = gearTable(GEAR_SEED);

/**
 * A mask of the `bits` highest bits. The hash is 32 bits wide and shifts left each byte, so its high bits mix
 * the most bytes (bit k depends on the last k+1 bytes): testing the top bits gives a 32-byte window.
 */
function highMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return -1;
  return (0xffffffff << (32 - bits)) | 0;
}

interface Masks {
  readonly small: number;
  readonly large: number;
}

const maskCache = new WeakMap<FastCdcParams, Masks>();

function checkParams(p: FastCdcParams): Masks {
  const cached = maskCache.get(p);
  if (cached !== undefined) return cached;
  const { minBytes, avgBytes, maxBytes } = p;
  if (!Number.isSafeInteger(minBytes) || !Number.isSafeInteger(avgBytes) || !Number.isSafeInteger(maxBytes)) {
    throw new TypeError('FastCDC sizes must be integers');
  }
  if (!(minBytes >= 64 && minBytes <= avgBytes && avgBytes <= maxBytes)) {
    throw new RangeError(
      `FastCDC sizes must satisfy 64 <= min <= avg <= max, got ${minBytes}/${avgBytes}/${maxBytes}`,
    );
  }
  const bits = Math.round(Math.log2(avgBytes));
  // Normalization level 2, as in the paper's recommended setting and fastcdc-rs.
  const masks = { small: highMask(bits + 2), large: highMask(bits - 2) };
  maskCache.set(p, masks);
  return masks;
}

/** The end offset of the chunk that starts at `start`, looking no further than `end`. */
function cutPoint(data: Uint8Array, start: number, end: number, p: FastCdcParams, masks: Masks): number {
  const remaining = end - start;
  if (remaining <= p.minBytes) return end;
  const stop = start + Math.min(remaining, p.maxBytes);
  const normal = start + Math.min(p.avgBytes, remaining);
  const maskS = masks.small;
  const maskL = masks.large;
  const gear = GEAR;
  let hash = 0;
  let i = start + p.minBytes;
  for (; i < normal; i++) {
    hash = ((hash << 1) + gear[data[i]!]!) | 0;
    if ((hash & maskS) === 0) return i + 1;
  }
  for (; i < stop; i++) {
    hash = ((hash << 1) + gear[data[i]!]!) | 0;
    if ((hash & maskL) === 0) return i + 1;
  }
  return stop;
}

/**
 * The end offset of every chunk of `data`, ascending; the last is `data.length` (none for empty input).
 * Chunk i is `data.subarray(cuts[i-1] ?? 0, cuts[i])`.
 */
export function chunkBoundaries(data: Uint8Array, params: FastCdcParams = DEFAULT_CDC_PARAMS): number[] {
  const masks = checkParams(params);
  const cuts: number[] = [];
  let start = 0;
  while (start < data.length) {
    start = cutPoint(data, start, data.length, params, masks);
    cuts.push(start);
  }
  return cuts;
}

/** The chunks of `data` as views into it (no copies). */
export function splitChunks(data: Uint8Array, params: FastCdcParams = DEFAULT_CDC_PARAMS): Uint8Array[] {
  let start = 0;
  return chunkBoundaries(data, params).map((end) => {
    const chunk = data.subarray(start, end);
    start = end;
    return chunk;
  });
}

/**
 * Streaming FastCDC: `push` returns the chunks that are final, `finish` the rest. The output is exactly
 * `splitChunks` of the concatenated input, however it is split across pushes: a cut is only made once
 * `maxBytes` are buffered, so it cannot depend on bytes not yet seen. Returned chunks are copies.
 */
export class FastCdcChunker {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private readonly masks: Masks;

  constructor(private readonly params: FastCdcParams = DEFAULT_CDC_PARAMS) {
    this.masks = checkParams(params);
    this.buf = new Uint8Array(params.maxBytes * 2);
  }

  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      this.makeRoom();
      const n = Math.min(bytes.length - pos, this.buf.length - this.end);
      this.buf.set(bytes.subarray(pos, pos + n), this.end);
      this.end += n;
      pos += n;
      while (this.end - this.start >= this.params.maxBytes) out.push(this.cutOne());
    }
    return out;
  }

  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.end > this.start) out.push(this.cutOne());
    this.start = 0;
    this.end = 0;
    return out;
  }

  private cutOne(): Uint8Array {
    const cut = cutPoint(this.buf, this.start, this.end, this.params, this.masks);
    const chunk = this.buf.slice(this.start, cut);
    this.start = cut;
    return chunk;
  }

  private makeRoom(): void {
    if (this.end < this.buf.length) return;
    // Fewer than maxBytes are buffered here (push cuts down below that), so moving them to the front frees room.
    this.buf.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}
