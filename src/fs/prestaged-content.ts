import type { Extent } from '../events/types.js';

/** What prestaging needs from the content store (ChunkStore implements it). */
export interface SettlingContentStore {
  putFile(content: Uint8Array): Promise<Extent[]>;
  putSettled(content: Uint8Array): Promise<{ extents: Extent[]; settledBytes: number }>;
}

/** Stage more once this many bytes past the staged prefix have arrived: each round costs an fsync. */
export const PRESTAGE_THRESHOLD_BYTES = 32 * 1024 * 1024;

/**
 * Chunks, seals and stages the settled prefix of a file while its writes are still arriving, so that a `cp` or
 * `dd` of a large file does most of that work in the gaps between FUSE calls instead of all of it at fsync.
 * Only appends help: a write or truncate below the staged end throws the prefix away (the commit then chunks
 * the whole file, and deduplication makes the chunks already staged free).
 */
export class PrestagedContent {
  private extents: Extent[] = [];
  private stagedEnd = 0;
  /** Bumped by every invalidation: work started before it must not extend the prefix after it. */
  private generation = 0;
  private running: Promise<void> | undefined;
  /** The end of the bytes the running task copied: a change below it makes that task's result stale. */
  private runningEnd = 0;

  constructor(
    private readonly content: SettlingContentStore,
    private readonly thresholdBytes = PRESTAGE_THRESHOLD_BYTES,
  ) {}

  /** The bytes at and after `offset` changed. */
  changedFrom(offset: number): void {
    const busyEnd = this.running === undefined ? 0 : this.runningEnd;
    if (offset >= this.stagedEnd && offset >= busyEnd) return;
    this.extents = [];
    this.stagedEnd = 0;
    this.generation++;
  }

  /** After a change: starts staging the newly settled bytes in the background when enough have arrived. */
  advance(current: Uint8Array): void {
    if (this.running !== undefined || current.length - this.stagedEnd < this.thresholdBytes) return;
    const generation = this.generation;
    const start = this.stagedEnd;
    // A copy: the working copy keeps changing while this runs, and staged bytes must match their chunk ids.
    const tail = Uint8Array.prototype.slice.call(current, start);
    this.runningEnd = current.length;
    this.running = this.content
      .putSettled(tail)
      .then(({ extents, settledBytes }) => {
        if (generation !== this.generation || start !== this.stagedEnd) return;
        this.extents = [...this.extents, ...extents];
        this.stagedEnd += settledBytes;
      })
      .catch(() => {
        // Staging ahead is an optimisation: a failure here resurfaces, and is reported, at commit.
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /**
   * The extents of the whole file as `live` holds it now: the staged prefix plus the rest, staged now. Only
   * what is not staged yet is copied, synchronously, so `live` may keep changing afterwards. When this
   * resolves, all of it is durable in the home.
   */
  async extentsOf(live: Uint8Array): Promise<Extent[]> {
    let prefix = this.extents;
    const prefixEnd = this.stagedEnd;
    const generation = this.generation;
    let tail: Uint8Array = Uint8Array.prototype.slice.call(live, prefixEnd);
    if (this.running !== undefined) {
      await this.running;
      // The task copied its bytes before this call; unless something changed since, its chunks are ours too.
      if (this.generation === generation && this.stagedEnd > prefixEnd) {
        tail = tail.subarray(this.stagedEnd - prefixEnd);
        prefix = this.extents;
      }
    }
    return [...prefix, ...(await this.content.putFile(tail))];
  }
}
