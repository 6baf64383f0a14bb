import { TgfsError } from '../errors.js';
import { compactExtents, type PlacedExtent, placeExtents } from '../events/extents.js';
import type { Extent } from '../events/types.js';
import type { DirtyBudget } from './dirty-budget.js';

/**
 * The largest file: sizes and offsets are JavaScript numbers, exact up to 2^53 - 1 bytes (8 PiB). Past it,
 * writes and truncates fail with EFBIG, as on a filesystem with a maximum file size.
 */
export const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER;

/** Files up to this size are stored inline in their `Write` event instead of as chunks. */
export const INLINE_MAX_BYTES = 4096;

/** What a working copy needs from the content store (ChunkStore implements it). */
export interface CopyContentStore {
  /** A chunk's plaintext. */
  read(chunkId: string): Promise<Uint8Array>;
  /** Stages `content` as chunks, durable in the home when this resolves. */
  putFile(content: Uint8Array): Promise<Extent[]>;
  /** Stages the chunks of `content` whose cut points are final (all but the last piece). */
  putSettled(content: Uint8Array): Promise<{ extents: Extent[]; settledBytes: number }>;
}

/** A file version as the projection holds it. */
export interface CommittedContent {
  readonly sizeBytes: number;
  readonly inline?: Uint8Array;
  readonly extents?: readonly Extent[];
}

/** What a commit writes into the `Write` event: the copy as it was at `version`, all of it durable. */
export interface SettledContent {
  readonly version: number;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly inline?: Uint8Array;
  readonly extents?: Extent[];
}

/** Bytes written but not yet staged: the memory a working copy holds. */
interface MemBlock {
  buf: Buffer;
  /** Bytes of `buf` in use; a segment ending here may grow in place. */
  used: number;
  /** Part of a snapshot being staged: its bytes must stay as they are, so writes go to a new block. */
  frozen: boolean;
  /** Segments referencing it; at 0 its memory is returned to the budget. */
  refs: number;
}

/** A run of the file's bytes from one source; the gaps between segments are holes. */
type Segment =
  | { start: number; length: number; readonly kind: 'mem'; readonly block: MemBlock; at: number }
  | {
      start: number;
      length: number;
      readonly kind: 'chunk';
      readonly chunkId: string;
      readonly chunkBytes: number;
      at: number;
    };

/** A block grows by doubling up to this size, then a new one starts. */
const BLOCK_MAX_BYTES = 4 * 1024 * 1024;
const BLOCK_MIN_BYTES = 16 * 1024;

/** How much is staged at once; tests with small chunks make these small too. */
export interface StagingTuning {
  /** Bytes staged per round (spill or commit): bounds the copy made for staging. Default 8 MiB. */
  readonly pieceBytes: number;
  /**
   * A run at least this long keeps its last, unsettled chunk in memory when spilled, so that its chunks are
   * the ones a cut of the whole run would give; shorter runs are staged whole. Twice FastCDC's largest chunk.
   */
  readonly settleMinBytes: number;
}

const DEFAULT_TUNING: StagingTuning = { pieceBytes: 8 * 1024 * 1024, settleMinBytes: 8 * 1024 * 1024 };

/**
 * One open file's content while it is being changed: a list of segments over the file's offsets, each either
 * a range of a committed or staged chunk (read lazily through the chunk store) or bytes written here and held
 * in memory; what no segment covers is a hole, costing nothing and reading as zeros. Memory is bounded by the
 * shared `DirtyBudget`: past its limit, written bytes are spilled — cut, sealed and staged in the home like any
 * file content — and their segments point at the staged chunks instead. A commit (`settle`) stages what is
 * still in memory, plus the pieces of chunks a write cut into, and describes the file as whole chunks at
 * offsets, holes left out.
 */
export class WorkingCopy {
  private segments: Segment[] = [];
  private size: number;
  /** Capacity of the live blocks, charged to the budget. */
  private held = 0;
  /** Spills and commits of this copy, one at a time: both stage the same memory. */
  private staging: Promise<unknown> = Promise.resolve();
  /** Bumped by every change; a commit only marks the copy clean if nothing changed while it ran. */
  version = 0;
  committedVersion = 0;

  constructor(
    initial: CommittedContent,
    public mtimeMs: number,
    private readonly store: CopyContentStore,
    private readonly budget: DirtyBudget,
    private readonly tuning: StagingTuning = DEFAULT_TUNING,
  ) {
    this.size = initial.sizeBytes;
    if (initial.inline !== undefined && initial.inline.length > 0) {
      const block = this.newBlock(initial.inline.length);
      block.buf.set(initial.inline);
      block.used = initial.inline.length;
      this.segments.push(this.memSegment(0, initial.inline.length, block, 0));
    }
    for (const e of placeExtents(initial.extents ?? [])) {
      if (e.lengthBytes === 0) continue;
      this.segments.push({
        start: e.offsetBytes,
        length: e.lengthBytes,
        kind: 'chunk',
        chunkId: e.chunkId,
        chunkBytes: e.lengthBytes,
        at: 0,
      });
    }
    budget.track(this);
  }

  get sizeBytes(): number {
    return this.size;
  }

  get dirty(): boolean {
    return this.version !== this.committedVersion;
  }

  /** Memory held for written bytes not yet staged. */
  get memBytes(): number {
    return this.held;
  }

  /** The bytes that are not holes: what st_blocks counts. */
  get storedBytes(): number {
    let sum = 0;
    for (const s of this.segments) sum += s.length;
    return sum;
  }

  /** Returns the memory to the budget; the copy must not be used afterwards. */
  dispose(): void {
    for (const s of this.segments) if (s.kind === 'mem') this.unref(s.block);
    this.segments = [];
    this.budget.untrack(this);
  }

  async read(into: Buffer, length: number, position: number): Promise<number> {
    if (position >= this.size) return 0;
    const end = Math.min(this.size, position + length);
    const n = end - position;
    // Holes and memory are copied now; chunk pieces after, as those bytes do not change.
    const pending: Promise<void>[] = [];
    let pos = position;
    for (let i = this.indexAt(position); i < this.segments.length && pos < end; i++) {
      const s = this.segments[i]!;
      if (s.start >= end) break;
      if (s.start > pos) into.fill(0, pos - position, s.start - position);
      const from = Math.max(pos, s.start);
      const to = Math.min(end, s.start + s.length);
      const skip = s.at + (from - s.start);
      if (s.kind === 'mem') {
        s.block.buf.copy(into, from - position, skip, skip + (to - from));
      } else {
        pending.push(
          this.chunkBytes(s).then((plain) => {
            into.set(plain.subarray(skip, skip + (to - from)), from - position);
          }),
        );
      }
      pos = to;
    }
    if (pos < end) into.fill(0, pos - position, n);
    await Promise.all(pending);
    return n;
  }

  /**
   * Lays `length` bytes of `from` at `position`. Resolves at once unless the dirty bytes are far over the limit,
   * when it waits for spilling to catch up (a writer faster than staging is slowed, not allowed to fill memory).
   */
  /** `from` is copied before this returns its promise: the caller may reuse it at once. */
  async write(from: Buffer, length: number, position: number, nowMs: number): Promise<number> {
    if (length === 0) return 0;
    checkSize(position + length);
    const end = position + length;
    let pos = position;
    while (pos < end) {
      const i = this.indexAt(pos);
      const s = this.segments[i];
      if (s !== undefined && s.start <= pos && s.kind === 'mem' && !s.block.frozen) {
        const to = Math.min(end, s.start + s.length);
        from.copy(s.block.buf, s.at + (pos - s.start), pos - position, to - position);
        pos = to;
        continue;
      }
      // Up to the next segment that can take bytes in place, this range needs new memory.
      let stop = end;
      for (let j = i; j < this.segments.length; j++) {
        const t = this.segments[j]!;
        if (t.start >= end) break;
        if (t.start > pos && t.kind === 'mem' && !t.block.frozen) {
          stop = t.start;
          break;
        }
      }
      this.place(pos, from.subarray(pos - position, stop - position));
      pos = stop;
    }
    if (end > this.size) this.size = end;
    this.touch(nowMs);
    await this.budget.afterWrite();
    return length;
  }

  truncate(sizeBytes: number, nowMs: number): void {
    checkSize(sizeBytes);
    if (sizeBytes < this.size) this.remove(sizeBytes, this.size);
    this.size = sizeBytes;
    this.touch(nowMs);
  }

  /**
   * fallocate(2) without a physical reservation: mode 0 grows the file to cover the range (the new bytes a
   * hole, reading as zeros), KEEP_SIZE changes nothing. Nothing is written either way.
   */
  allocate(offset: number, length: number, keepSize: boolean, nowMs: number): void {
    const end = offset + length;
    checkSize(end);
    if (keepSize || end <= this.size) return;
    this.size = end;
    this.touch(nowMs);
  }

  /**
   * Spills up to one piece of written bytes to the staging area (the lowest run in memory), so that their
   * memory can go. Resolves with the bytes of memory released.
   */
  spill(): Promise<number> {
    return this.exclusive(() => this.spillNow());
  }

  private async spillNow(): Promise<number> {
    const run = this.firstMemRun();
    if (run === undefined) return 0;
    const before = this.held;
    const take = Math.min(run.end - run.start, this.tuning.pieceBytes);
    const snapshot = this.snapshot(run.start, run.start + take);
    const bytes = await this.materialize(snapshot, run.start, run.start + take);
    // A long run keeps its last, unsettled piece in memory: the chunks then match those of the whole run.
    const { extents, settledBytes } =
      take >= this.tuning.settleMinBytes
        ? await this.store.putSettled(bytes)
        : { extents: await this.store.putFile(bytes), settledBytes: take };
    this.rebase(snapshot, place(extents, run.start), run.start + settledBytes);
    return Math.max(0, before - this.held);
  }

  /**
   * Everything the copy holds now, made durable: what is in memory and what a write cut out of a chunk is staged
   * as chunks; whole chunks stay as they are. The result describes the copy as it was when this was called,
   * writes made meanwhile included in a later commit.
   */
  settle(): Promise<SettledContent> {
    return this.exclusive(() => this.settleNow());
  }

  private async settleNow(): Promise<SettledContent> {
    const version = this.version;
    const sizeBytes = this.size;
    const mtimeMs = this.mtimeMs;
    if (sizeBytes <= INLINE_MAX_BYTES) {
      const inline = Buffer.alloc(sizeBytes);
      await this.read(inline, sizeBytes, 0);
      return { version, sizeBytes, mtimeMs, inline };
    }
    const all = this.snapshot(0, sizeBytes);
    const placed: PlacedExtent[] = [];
    let i = 0;
    while (i < all.length) {
      const s = all[i]!;
      if (isWholeChunk(s)) {
        placed.push({ chunkId: s.chunkId, lengthBytes: s.length, offsetBytes: s.start });
        i++;
        continue;
      }
      // A stretch of memory and chunk pieces, back to back: staged as one run, piece by piece.
      let j = i;
      while (j + 1 < all.length && !isWholeChunk(all[j + 1]!) && all[j + 1]!.start === end(all[j]!)) j++;
      placed.push(...(await this.stageStretch(all.slice(i, j + 1))));
      i = j + 1;
    }
    return { version, sizeBytes, mtimeMs, extents: compactExtents(placed) };
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.staging.then(work);
    this.staging = next.catch(() => undefined);
    return next;
  }

  private async stageStretch(stretch: readonly Segment[]): Promise<PlacedExtent[]> {
    const first = stretch[0]!;
    const stretchEnd = end(stretch[stretch.length - 1]!);
    const out: PlacedExtent[] = [];
    let pos = first.start;
    let carry: Uint8Array = new Uint8Array(0);
    for (;;) {
      const take = Math.min(stretchEnd - pos, this.tuning.pieceBytes);
      const piece = await this.materialize(stretch, pos, pos + take);
      const bytes = carry.length === 0 ? piece : Buffer.concat([carry, piece]);
      const start = pos - carry.length;
      pos += take;
      const last = pos >= stretchEnd;
      const { extents, settledBytes } = last
        ? { extents: await this.store.putFile(bytes), settledBytes: bytes.length }
        : await this.store.putSettled(bytes);
      const placedHere = place(extents, start);
      out.push(...placedHere);
      this.rebase(stretch, placedHere, start + settledBytes);
      if (last) return out;
      carry = bytes.subarray(settledBytes);
    }
  }

  /** Copies of the segments over [from, to), their blocks frozen so the bytes stay what the copy says. */
  private snapshot(from: number, to: number): Segment[] {
    const out: Segment[] = [];
    for (let i = this.indexAt(from); i < this.segments.length; i++) {
      const s = this.segments[i]!;
      if (s.start >= to) break;
      if (s.kind === 'mem') s.block.frozen = true;
      out.push({ ...s });
    }
    return out;
  }

  /** The bytes [from, to) of a snapshot, holes as zeros. */
  private async materialize(snapshot: readonly Segment[], from: number, to: number): Promise<Buffer> {
    const out = Buffer.alloc(to - from);
    for (const s of snapshot) {
      const a = Math.max(from, s.start);
      const b = Math.min(to, end(s));
      if (a >= b) continue;
      const skip = s.at + (a - s.start);
      if (s.kind === 'mem') s.block.buf.copy(out, a - from, skip, skip + (b - a));
      else out.set((await this.chunkBytes(s)).subarray(skip, skip + (b - a)), a - from);
    }
    return out;
  }

  /**
   * After bytes of `snapshot` were staged as `placed` (covering up to `until`): every live segment still holding
   * those very bytes — same block or chunk at the same alignment, so unchanged since — now points at the staged
   * chunks instead, and memory no segment uses any more is released.
   */
  private rebase(snapshot: readonly Segment[], placed: readonly PlacedExtent[], until: number): void {
    if (placed.length === 0) return;
    const from = placed[0]!.offsetBytes;
    const alignments = new Map<MemBlock | string, Set<number>>();
    for (const s of snapshot) {
      const set = alignments.get(source(s)) ?? new Set<number>();
      set.add(s.start - s.at);
      alignments.set(source(s), set);
    }
    const next: Segment[] = [];
    for (const s of this.segments) {
      const a = Math.max(from, s.start);
      const b = Math.min(until, end(s));
      if (a >= b || alignments.get(source(s))?.has(s.start - s.at) !== true) {
        next.push(s);
        continue;
      }
      if (s.start < a) next.push(this.slice(s, s.start, a));
      for (const e of placed) {
        const x = Math.max(a, e.offsetBytes);
        const y = Math.min(b, e.offsetBytes + e.lengthBytes);
        if (x >= y) continue;
        next.push({
          start: x,
          length: y - x,
          kind: 'chunk',
          chunkId: e.chunkId,
          chunkBytes: e.lengthBytes,
          at: x - e.offsetBytes,
        });
      }
      if (b < end(s)) next.push(this.slice(s, b, end(s)));
      if (s.kind === 'mem') this.unref(s.block);
    }
    this.segments = next;
  }

  /** Writes `bytes` at `pos` over whatever is there, growing the block that ends at `pos` when it can. */
  private place(pos: number, bytes: Buffer): void {
    const n = bytes.length;
    const i = this.indexAt(pos);
    const prev = i > 0 ? this.segments[i - 1] : undefined;
    if (
      prev !== undefined &&
      prev.kind === 'mem' &&
      !prev.block.frozen &&
      end(prev) === pos &&
      prev.at + prev.length === prev.block.used &&
      prev.block.used + n <= this.blockMax
    ) {
      const block = prev.block;
      this.grow(block, block.used + n);
      bytes.copy(block.buf, block.used);
      block.used += n;
      this.remove(pos, pos + n);
      prev.length += n;
      return;
    }
    // An append next to a block that cannot grow (full, or frozen by a spill) is a file written in sequence: its
    // next block starts at twice that one's size, so that blocks soon start full (growing each by doubling
    // would leave a trail of garbage behind every block).
    const appending = prev !== undefined && prev.kind === 'mem' && end(prev) === pos;
    const block = this.newBlock(
      appending ? Math.max(n, Math.min(this.blockMax, 2 * prev.block.buf.length)) : n,
    );
    bytes.copy(block.buf, 0);
    block.used = n;
    const at = this.remove(pos, pos + n);
    this.segments.splice(at, 0, this.memSegment(pos, n, block, 0));
  }

  /** Drops the bytes [from, to), leaving a hole; returns the index where the hole starts. */
  private remove(from: number, to: number): number {
    this.cut(from);
    this.cut(to);
    const i = this.indexAt(from);
    let j = i;
    while (j < this.segments.length && this.segments[j]!.start < to) {
      const s = this.segments[j]!;
      if (s.kind === 'mem') this.unref(s.block);
      j++;
    }
    this.segments.splice(i, j - i);
    return i;
  }

  /** Makes `pos` a segment boundary. */
  private cut(pos: number): void {
    const i = this.indexAt(pos);
    const s = this.segments[i];
    if (s === undefined || s.start >= pos) return;
    const tail = this.slice(s, pos, end(s));
    s.length = pos - s.start;
    this.segments.splice(i + 1, 0, tail);
  }

  /** The part [from, to) of a segment, as a new segment (taking a reference on its block). */
  private slice(s: Segment, from: number, to: number): Segment {
    const at = s.at + (from - s.start);
    if (s.kind === 'mem') return this.memSegment(from, to - from, s.block, at);
    return {
      start: from,
      length: to - from,
      kind: 'chunk',
      chunkId: s.chunkId,
      chunkBytes: s.chunkBytes,
      at,
    };
  }

  /** The first segment ending after `pos` (binary search). */
  private indexAt(pos: number): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (end(this.segments[mid]!) <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstMemRun(): { start: number; end: number } | undefined {
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      if (s.kind !== 'mem') continue;
      let e = end(s);
      for (let j = i + 1; j < this.segments.length; j++) {
        const t = this.segments[j]!;
        if (t.kind !== 'mem' || t.start !== e) break;
        e = end(t);
      }
      return { start: s.start, end: e };
    }
    return undefined;
  }

  private chunkBytes(s: Segment & { kind: 'chunk' }): Promise<Uint8Array> {
    return this.store.read(s.chunkId).then((plain) => {
      if (plain.length !== s.chunkBytes) {
        throw new TgfsError(
          'STORE_CORRUPT',
          `chunk ${s.chunkId} is ${plain.length} bytes, its extent says ${s.chunkBytes}`,
        );
      }
      return plain;
    });
  }

  private memSegment(start: number, length: number, block: MemBlock, at: number): Segment {
    block.refs++;
    return { start, length, kind: 'mem', block, at };
  }

  /** A block is at most an eighth of the dirty limit, so that spilling frees memory in steps. */
  private get blockMax(): number {
    return Math.max(BLOCK_MIN_BYTES, Math.min(BLOCK_MAX_BYTES, Math.floor(this.budget.limitBytes / 8)));
  }

  private newBlock(bytes: number): MemBlock {
    let capacity = BLOCK_MIN_BYTES;
    while (capacity < bytes && capacity < this.blockMax) capacity *= 2;
    capacity = Math.max(capacity, bytes);
    const buf = Buffer.allocUnsafe(capacity);
    this.charge(buf.length);
    return { buf, used: 0, frozen: false, refs: 0 };
  }

  private grow(block: MemBlock, bytes: number): void {
    if (bytes <= block.buf.length) return;
    let capacity = block.buf.length;
    while (capacity < bytes) capacity *= 2;
    capacity = Math.min(capacity, Math.max(this.blockMax, bytes));
    const next = Buffer.allocUnsafe(capacity);
    block.buf.copy(next, 0, 0, block.used);
    this.charge(next.length - block.buf.length);
    block.buf = next;
  }

  private unref(block: MemBlock): void {
    block.refs--;
    if (block.refs === 0) this.charge(-block.buf.length);
  }

  private charge(delta: number): void {
    this.held += delta;
    this.budget.charge(delta);
  }

  private touch(nowMs: number): void {
    this.mtimeMs = nowMs;
    this.version++;
  }
}

function checkSize(bytes: number): void {
  if (bytes > MAX_FILE_BYTES) {
    throw new TgfsError('FILE_TOO_BIG', `a file of ${bytes} bytes is over the maximum of ${MAX_FILE_BYTES}`);
  }
}

function end(s: Segment): number {
  return s.start + s.length;
}

function isWholeChunk(s: Segment): s is Segment & { kind: 'chunk' } {
  return s.kind === 'chunk' && s.at === 0 && s.length === s.chunkBytes;
}

/** Segments with one source at one alignment (start - at) hold the same bytes: blocks in a snapshot are frozen. */
function source(s: Segment): MemBlock | string {
  return s.kind === 'mem' ? s.block : s.chunkId;
}

/** Extents staged back to back from `start`, placed. */
function place(extents: readonly Extent[], start: number): PlacedExtent[] {
  let pos = start;
  return extents.map((e) => {
    const placed = { chunkId: e.chunkId, lengthBytes: e.lengthBytes, offsetBytes: pos };
    pos += e.lengthBytes;
    return placed;
  });
}
