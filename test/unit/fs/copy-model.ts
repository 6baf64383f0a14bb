/**
 * The reference a working copy is checked against: a file as a map of 4 KiB pages of plain Buffers (so a
 * file of 10^12 bytes costs only the pages written), the intervals ever written (what may be stored: holes
 * must cost nothing), and a fast-check model of random operations on both.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Extent } from '../../../src/events/types.js';
import type { CopyContentStore } from '../../../src/fs/working-copy.js';

const PAGE = 4096;

export class ReferenceFile {
  private readonly pages = new Map<number, Buffer>();
  /** Disjoint, sorted [start, end) ranges holding written bytes. */
  written: Array<[number, number]> = [];

  constructor(public size = 0) {}

  write(position: number, bytes: Buffer): void {
    for (let done = 0; done < bytes.length; ) {
      const pos = position + done;
      const page = Math.floor(pos / PAGE);
      const at = pos - page * PAGE;
      const n = Math.min(PAGE - at, bytes.length - done);
      let buf = this.pages.get(page);
      if (buf === undefined) {
        buf = Buffer.alloc(PAGE);
        this.pages.set(page, buf);
      }
      bytes.copy(buf, at, done, done + n);
      done += n;
    }
    this.size = Math.max(this.size, position + bytes.length);
    this.written = union(this.written, [position, position + bytes.length]);
  }

  truncate(size: number): void {
    if (size < this.size) {
      for (const page of [...this.pages.keys()]) {
        if (page * PAGE >= size) this.pages.delete(page);
        else if ((page + 1) * PAGE > size) this.pages.get(page)!.fill(0, size - page * PAGE);
      }
      this.written = this.written
        .filter(([a]) => a < size)
        .map(([a, b]) => [a, Math.min(b, size)] as [number, number]);
    }
    this.size = size;
  }

  read(position: number, length: number): Buffer {
    const end = Math.min(this.size, position + length);
    if (end <= position) return Buffer.alloc(0);
    const out = Buffer.alloc(end - position);
    for (let pos = position; pos < end; ) {
      const page = Math.floor(pos / PAGE);
      const at = pos - page * PAGE;
      const n = Math.min(PAGE - at, end - pos);
      this.pages.get(page)?.copy(out, pos - position, at, at + n);
      pos += n;
    }
    return out;
  }

  get writtenBytes(): number {
    return this.written.reduce((sum, [a, b]) => sum + (b - a), 0);
  }
}

function union(ranges: Array<[number, number]>, [a, b]: [number, number]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = a;
  let end = b;
  for (const [x, y] of ranges) {
    if (y < start || x > end) out.push([x, y]);
    else {
      start = Math.min(start, x);
      end = Math.max(end, y);
    }
  }
  out.push([start, end]);
  return out.sort((p, q) => p[0] - q[0]);
}

/**
 * A content store in memory: chunks cut at fixed `chunkBytes` (all but the last piece settled), named by
 * SHA-256, deduplicated. Counts the bytes stored, as a home's staging would.
 */
export class MemoryContent implements CopyContentStore {
  readonly chunks = new Map<string, Buffer>();
  storedBytes = 0;

  constructor(private readonly chunkBytes = 5000) {}

  async read(chunkId: string): Promise<Uint8Array> {
    const chunk = this.chunks.get(chunkId);
    if (chunk === undefined) throw new Error(`no chunk ${chunkId}`);
    return chunk;
  }

  async putFile(content: Uint8Array): Promise<Extent[]> {
    return this.put(content, content.length);
  }

  async putSettled(content: Uint8Array): Promise<{ extents: Extent[]; settledBytes: number }> {
    const settled = Math.max(0, Math.ceil(content.length / this.chunkBytes) - 1) * this.chunkBytes;
    return { extents: this.put(content, settled), settledBytes: settled };
  }

  private put(content: Uint8Array, upTo: number): Extent[] {
    const out: Extent[] = [];
    for (let pos = 0; pos < upTo; pos += this.chunkBytes) {
      const piece = Buffer.from(content.subarray(pos, Math.min(upTo, pos + this.chunkBytes)));
      const chunkId = createHash('sha256').update(piece).digest('hex');
      if (!this.chunks.has(chunkId)) {
        this.chunks.set(chunkId, piece);
        this.storedBytes += piece.length;
      }
      out.push({ chunkId, lengthBytes: piece.length });
    }
    return out;
  }
}

export type CopyOp =
  | { readonly kind: 'write'; readonly position: number; readonly length: number; readonly seed: number }
  | { readonly kind: 'truncate'; readonly size: number }
  | {
      readonly kind: 'allocate';
      readonly offset: number;
      readonly length: number;
      readonly keepSize: boolean;
    }
  | { readonly kind: 'spill' }
  | { readonly kind: 'commit' };

/** Offsets near the start, around a few chunk sizes, and far out (a sparse file of a terabyte). */
export function offsetArb(span: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: span }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((k) => 10 ** 12 + k * 70_001) },
  );
}

export function copyOpArb(span: number, maxWrite: number): fc.Arbitrary<CopyOp> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('write' as const),
        position: offsetArb(span),
        length: fc.integer({ min: 1, max: maxWrite }),
        seed: fc.integer({ min: 0, max: 255 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), size: offsetArb(span) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('allocate' as const),
        offset: offsetArb(span),
        length: fc.integer({ min: 1, max: maxWrite * 4 }),
        keepSize: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'spill' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'commit' as const }) },
  );
}

/** Deterministic, not all-equal bytes (so chunks differ and dedup cannot hide a misplaced one). */
export function patternBytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (seed + i * 31 + (i >> 8)) & 0xff;
  return b;
}
