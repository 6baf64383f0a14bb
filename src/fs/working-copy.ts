import { constants } from 'node:buffer';
import { TgfsError } from '../errors.js';

/**
 * The largest file a mount can hold while the whole file is buffered here: Node's own Buffer limit (4 GiB on
 * Node 20). Past it, writes and truncates fail with EFBIG, as on a filesystem with a maximum file size, instead
 * of a RangeError (EIO). The bounded-memory work (issue 11) lifts it.
 */
export const MAX_FILE_BYTES = constants.MAX_LENGTH;

/**
 * The bytes of one file while it is open for writing: writes land here and become one `Write` event on
 * flush/fsync/release, so a `cp` of a large file costs one event, not one per 128 KiB FUSE call.
 */
export class WorkingCopy {
  private buffer: Buffer;
  private length: number;
  /** Bumped by every change; a commit only marks the copy clean if nothing changed while it ran. */
  version = 0;
  committedVersion = 0;

  constructor(
    initial: Uint8Array,
    public mtimeMs: number,
    /** Told the lowest offset each change touched, after it is applied (prestaging listens). */
    private readonly onChange?: (fromOffset: number) => void,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(initial.length, 4096));
    this.buffer.set(initial);
    this.length = initial.length;
  }

  get sizeBytes(): number {
    return this.length;
  }

  get dirty(): boolean {
    return this.version !== this.committedVersion;
  }

  read(into: Buffer, length: number, position: number): number {
    if (position >= this.length) return 0;
    const end = Math.min(this.length, position + length);
    return this.buffer.copy(into, 0, position, end);
  }

  write(from: Buffer, length: number, position: number, nowMs: number): number {
    const end = position + length;
    this.ensureCapacity(end);
    if (position > this.length) this.buffer.fill(0, this.length, position);
    from.copy(this.buffer, position, 0, length);
    if (end > this.length) this.length = end;
    this.touch(nowMs);
    this.onChange?.(position);
    return length;
  }

  truncate(sizeBytes: number, nowMs: number): void {
    if (sizeBytes > this.length) {
      this.ensureCapacity(sizeBytes);
      this.buffer.fill(0, this.length, sizeBytes);
    }
    const from = Math.min(sizeBytes, this.length);
    this.length = sizeBytes;
    this.touch(nowMs);
    this.onChange?.(from);
  }

  /** The current content; valid until the next change. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private touch(nowMs: number): void {
    this.mtimeMs = nowMs;
    this.version++;
  }

  private ensureCapacity(bytes: number): void {
    if (bytes <= this.buffer.length) return;
    if (bytes > MAX_FILE_BYTES) {
      throw new TgfsError(
        'FILE_TOO_BIG',
        `a file of ${bytes} bytes is over the maximum of ${MAX_FILE_BYTES}`,
      );
    }
    // Doubling keeps a sequential write of n bytes at O(n) copying in total.
    let capacity = this.buffer.length;
    while (capacity < bytes) capacity *= 2;
    capacity = Math.min(capacity, MAX_FILE_BYTES);
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
