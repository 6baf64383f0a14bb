import type { KeyInput } from '../../crypto/epoch-box.js';
import { TgfsError } from '../../errors.js';
import { type PlacedExtent, placeExtents } from '../../events/extents.js';
import type { Extent } from '../../events/types.js';
import type { MessageId, MessageStore } from '../store/message-store.js';
import type { ChunkCache } from './chunk-cache.js';
import type { ChunkIndex } from './chunk-index.js';
import { openChunk } from './content-seal.js';
import type { Mutex } from './mutex.js';
import { PlaintextLru } from './plaintext-lru.js';
import type { StagingArea } from './staging-area.js';

/** Decrypted chunks kept in memory for sequential reads (see PlaintextLru). */
const RECENT_PLAINTEXT_BYTES = 64 * 1024 * 1024;
const READ_PARALLELISM = 4;
const SYNC = { sync: true };

/** The read path: staging, else the disk cache, else a ranged read of the chunk's pack in the store. */
export class ChunkReader {
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly recent = new PlaintextLru(RECENT_PLAINTEXT_BYTES);

  constructor(
    private readonly ns: string,
    private readonly dataKey: KeyInput,
    private readonly store: MessageStore,
    private readonly index: ChunkIndex,
    /** The index lock, taken only to record a damaged copy. */
    private readonly lock: Mutex,
    private readonly staging: StagingArea,
    private readonly cache: ChunkCache,
  ) {}

  /** See ChunkStore.read. Concurrent reads of one chunk share one fetch. */
  read(extent: Extent | string): Promise<Uint8Array> {
    const id = typeof extent === 'string' ? extent : extent.chunkId;
    const recent = this.recent.get(id);
    if (recent !== undefined) return Promise.resolve(recent);
    let pending = this.inflight.get(id);
    if (pending === undefined) {
      pending = this.readUncoalesced(id)
        .then((plain) => {
          this.recent.set(id, plain);
          return plain;
        })
        .finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /** See ChunkStore.readRangeInto. */
  async readRangeInto(extents: readonly Extent[], offset: number, target: Uint8Array): Promise<number> {
    const length = target.length;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`read range must be non-negative integers, got ${offset}+${length}`);
    }
    const wanted: PlacedExtent[] = [];
    let next: PlacedExtent | undefined;
    let end = 0;
    for (const extent of placeExtents(extents)) {
      const start = extent.offsetBytes;
      end = start + extent.lengthBytes;
      if (end > offset && start < offset + length) wanted.push(extent);
      else if (next === undefined && wanted.length > 0) next = extent;
    }
    // Read-ahead: the kernel reads 128 KiB at a time, so while it consumes this chunk, fetch and open the next
    // one (a failure here is only reported when that chunk is really read).
    if (next !== undefined) this.read(next).catch(() => undefined);
    const endPos = Math.min(offset + length, end);
    const n = Math.max(0, endPos - offset);
    // A hole reads as zeros: clear the range first when the chunks do not cover all of it.
    let covered = 0;
    for (const e of wanted)
      covered += Math.min(endPos, e.offsetBytes + e.lengthBytes) - Math.max(offset, e.offsetBytes);
    if (covered < n) target.fill(0, 0, n);
    await forEachLimited(wanted, READ_PARALLELISM, async (extent) => {
      const start = extent.offsetBytes;
      const plain = await this.read(extent);
      if (plain.length !== extent.lengthBytes) {
        throw new TgfsError(
          'STORE_CORRUPT',
          `chunk ${extent.chunkId} of namespace ${this.ns} is ${plain.length} bytes, its extent says ${extent.lengthBytes}`,
        );
      }
      const from = Math.max(offset, start);
      const to = Math.min(endPos, start + plain.length);
      target.set(plain.subarray(from - start, to - start), from - offset);
    });
    return n;
  }

  private async readUncoalesced(id: string): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const [where] = await this.index.locate([id]);
      const staged = where?.staged;
      const stored = where?.stored;
      if (staged !== undefined) {
        const sealed = await this.staging.read(staged);
        // A flush may have uploaded it and removed the segment since the index was read: look again.
        if (sealed === undefined && attempt < 2) continue;
        if (sealed !== undefined) {
          return openChunk(this.dataKey, this.ns, id, sealed, `staged in ${staged.segment}`);
        }
      }
      const cached = await this.cache.get(id);
      if (cached !== undefined) {
        try {
          return openChunk(this.dataKey, this.ns, id, cached, 'local cache');
        } catch {
          // Cache writes are not synced, so a bad entry is expected after a crash: refetch it.
          await this.cache.delete(id);
        }
      }
      if (stored === undefined) {
        const bad = await this.index.get('damaged', id);
        if (bad !== undefined) throw new TgfsError('CHUNK_AUTH_FAILED', bad.reason);
        throw new TgfsError(
          'CHUNK_MISSING',
          `chunk ${id} of namespace ${this.ns} is neither local nor in the index`,
        );
      }
      const msg = stored.messageId;
      const sealed = await this.store.read(msg, { offset: stored.offset, length: stored.length });
      let plain: Uint8Array;
      try {
        plain = openChunk(this.dataKey, this.ns, id, sealed, `message ${msg}`);
      } catch (err) {
        if (err instanceof TgfsError && err.code === 'CHUNK_AUTH_FAILED')
          await this.forgetDamaged(id, msg, err.message);
        throw err;
      }
      await this.cache.put(id, sealed);
      return plain;
    }
  }

  /**
   * The stored copy of a chunk failed authentication: drop its location (the store itself is left as it is)
   * so that writing the same content again stages and uploads a good copy instead of deduplicating against
   * the damaged one. Readers until then keep getting CHUNK_AUTH_FAILED with the original reason.
   */
  private async forgetDamaged(id: string, messageId: MessageId, reason: string): Promise<void> {
    await this.lock.run(async () => {
      await this.index.batch(
        [
          { type: 'del', kind: 'stored', id },
          { type: 'put', kind: 'damaged', id, value: { messageId, reason } },
        ],
        SYNC,
      );
    });
  }
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
