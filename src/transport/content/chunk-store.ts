import { join } from 'node:path';
import { currentKeyOf, epochKeysOf, type KeyInput } from '../../crypto/epoch-box.js';
import type { SpaceReserve } from '../../disk/space-reserve.js';
import { extentsEnd } from '../../events/extents.js';
import type { Extent } from '../../events/types.js';
import type { MessageId, MessageStore, StoredMessage } from '../store/message-store.js';
import { ChunkCache } from './chunk-cache.js';
import { ChunkIndex, type ChunkIndexDb, countStagedChunks } from './chunk-index.js';
import { ChunkReader } from './chunk-reader.js';
import { ChunkStager } from './chunk-stager.js';
import { ChunkUploader, type FlushResult, removeUnreferencedSegments } from './chunk-uploader.js';
import type { ChunkWorkerPool } from './chunk-worker-pool.js';
import { DEFAULT_CDC_PARAMS, type FastCdcParams } from './fastcdc.js';
import { Mutex } from './mutex.js';
import { PackIndexer, type RebuildResult } from './pack-indexer.js';
import { StagedBudget } from './staged-budget.js';
import { StagingArea } from './staging-area.js';

export type { ChunkIndexDb, ChunkIndexOp } from './chunk-index.js';
export type { FlushResult } from './chunk-uploader.js';
export type { RebuildResult } from './pack-indexer.js';

export interface ChunkStoreOptions {
  /** The home's cache directory for this namespace: staging/ and cache/ go below it. */
  readonly dir: string;
  /** Namespace id, 32 lowercase hex. */
  readonly ns: string;
  /** Seals new chunks and packs under its current epoch, opens those of any epoch it holds. */
  readonly dataKey: KeyInput;
  /** Names new chunks: the current epoch's. */
  readonly chunkIdKey: Uint8Array;
  readonly store: MessageStore;
  /** Owned by the caller; its layout is described in chunk-index.ts. */
  readonly index: ChunkIndexDb;
  /** Bound of the read cache plus staged chunks (`cache.max_size_gb`). */
  readonly maxCacheBytes: number;
  readonly cdcParams?: FastCdcParams;
  /** Sealed bytes per pack before a new one is started; default 12 MiB. */
  readonly packTargetBytes?: number;
  /** Cut, name and seal in this worker thread instead of on the caller's (the FUSE) thread. */
  readonly workers?: ChunkWorkerPool;
  /**
   * Whether staging waits for the index batch to reach the disk (default). A caller whose next step is a
   * synced write to the same LevelDB — a home committing the Write event that references the chunks — may
   * turn it off: LevelDB's single ordered log makes that sync cover the index too.
   */
  readonly syncIndex?: boolean;
  /**
   * The free space kept back on the home's disk: staging and caching that would eat into it are refused
   * (staging with NO_SPACE; the cache just keeps less). Without it, content is written until the disk is full.
   */
  readonly space?: SpaceReserve;
}

const DEFAULT_PACK_TARGET_BYTES = 12 * 1024 * 1024;

/**
 * The content of one namespace: files cut into chunks (FastCDC), each sealed alone, staged durably in the
 * home, uploaded in packs, read back through an on-disk cache. Chunks are sealed everywhere at rest — in
 * staging, in the cache and in the store — so the home never holds plaintext content.
 *
 * A facade: ChunkStager writes, ChunkReader reads, ChunkUploader flushes, PackIndexer learns locations from
 * the store, all over one ChunkIndex and StagingArea. They share one lock for index and staging changes,
 * held briefly and never across an upload; the uploader's own lock keeps flushes one at a time.
 */
export class ChunkStore {
  readonly ns: string;
  private readonly db: ChunkIndexDb;
  private readonly lock = new Mutex();
  private readonly index: ChunkIndex;
  private readonly budget: StagedBudget;
  private readonly stager: ChunkStager;
  private readonly reader: ChunkReader;
  private readonly packs: PackIndexer;
  private readonly uploader: ChunkUploader;

  private constructor(
    opts: ChunkStoreOptions,
    private readonly staging: StagingArea,
    cache: ChunkCache,
  ) {
    const { ns, dataKey, store } = opts;
    this.ns = ns;
    this.db = opts.index;
    this.index = new ChunkIndex(opts.index);
    this.budget = new StagedBudget(cache);
    this.stager = new ChunkStager(
      {
        ns,
        dataKey: currentKeyOf(dataKey),
        epoch: epochKeysOf(dataKey).epoch,
        chunkIdKey: opts.chunkIdKey,
        params: opts.cdcParams ?? DEFAULT_CDC_PARAMS,
        workers: opts.workers,
        syncIndex: opts.syncIndex ?? true,
      },
      this.index,
      this.lock,
      staging,
      this.budget,
    );
    this.reader = new ChunkReader(ns, dataKey, store, this.index, this.lock, staging, cache);
    this.packs = new PackIndexer(ns, dataKey, store, this.index, this.lock, this.budget);
    this.uploader = new ChunkUploader(
      ns,
      dataKey,
      store,
      this.index,
      this.lock,
      staging,
      cache,
      this.packs,
      opts.packTargetBytes ?? DEFAULT_PACK_TARGET_BYTES,
    );
  }

  static async open(opts: ChunkStoreOptions): Promise<ChunkStore> {
    if (currentKeyOf(opts.dataKey).length !== 32) throw new TypeError('data key must be 32 bytes');
    const staging = await StagingArea.open(join(opts.dir, 'staging'), opts.space);
    const cache = await ChunkCache.open(join(opts.dir, 'cache'), opts.maxCacheBytes, opts.space);
    const cs = new ChunkStore(opts, staging, cache);
    await cs.lock.run(async () => {
      let stagedBytes = 0;
      for (const [, loc] of await cs.index.all('staged')) stagedBytes += loc.length;
      await cs.budget.add(stagedBytes);
      await removeUnreferencedSegments(cs.index, staging);
    });
    return cs;
  }

  /** Waits for running work; the index and the store belong to the caller and stay open. */
  async close(): Promise<void> {
    await this.uploader.idle();
    await this.lock.run(() => this.staging.close());
  }

  /**
   * Cuts `content` into chunks and stages the new ones (sealed) in the home. When this resolves the content
   * is durable locally — segment file fsynced, index written with sync — and the returned extents may be
   * committed in a Write event. Chunks already known (staged or uploaded) are not stored again. `content` must
   * not change until this resolves (see ChunkStager.stage).
   */
  async putFile(content: Uint8Array): Promise<Extent[]> {
    return (await this.stager.stage(content, false)).extents;
  }

  /**
   * For a file still being written: stages the chunks of `content` that are final — every chunk but the last
   * piece, whose cut point may still move as bytes are appended — and says how many bytes they cover. `content`
   * must start at a chunk boundary of the file (its start, or the end of earlier settled bytes), so that the
   * chunks are the ones putFile of the whole file would cut.
   */
  putSettled(content: Uint8Array): Promise<{ extents: Extent[]; settledBytes: number }> {
    return this.stager.stage(content, true);
  }

  /** Whether the chunk is staged or uploaded. */
  async has(chunkId: string): Promise<boolean> {
    const [where] = await this.index.locate([chunkId]);
    return where?.staged !== undefined || where?.stored !== undefined;
  }

  /** Chunks staged in the home and not yet in the store. */
  pendingChunks(): Promise<number> {
    return countStagedChunks(this.db);
  }

  /**
   * A chunk's plaintext: from staging, else the cache, else a ranged read of its pack in the store (then
   * cached). Failing authentication is CHUNK_AUTH_FAILED naming the chunk and the message; an unknown chunk
   * is CHUNK_MISSING. Nothing stored is changed on failure (a damaged cache entry is dropped and refetched).
   */
  read(extent: Extent | string): Promise<Uint8Array> {
    return this.reader.read(extent);
  }

  /**
   * Bytes [offset, offset+length) of the file made of `extents`, fetching only the chunks that overlap it; a
   * hole between extents reads as zeros. Like read(2), a range past the last extent's end is cut short.
   */
  async readRange(extents: readonly Extent[], offset: number, length: number): Promise<Uint8Array> {
    const total = extentsEnd(extents);
    const out = Buffer.alloc(Math.max(0, Math.min(offset + length, total) - offset));
    await this.reader.readRangeInto(extents, offset, out);
    return out;
  }

  /**
   * Like readRange, into `target` (FUSE's own read buffer): no buffer per call, which at 128 KiB per read is
   * most of what the garbage collector would otherwise do. Resolves with the bytes written (short at EOF).
   */
  readRangeInto(extents: readonly Extent[], offset: number, target: Uint8Array): Promise<number> {
    return this.reader.readRangeInto(extents, offset, target);
  }

  /** Uploads staged chunks in packs and records where each landed; safe to retry (see ChunkUploader). */
  flushToStore(): Promise<FlushResult> {
    return this.uploader.flushToStore();
  }

  /**
   * Records the location of every chunk in the namespace's packs in the store after `afterId`: a home
   * rebuilt from the store alone can read all content again. Unreadable packs are reported, not fatal.
   */
  rebuildIndexFromStore(afterId: MessageId = 0): Promise<RebuildResult> {
    return this.packs.rebuildIndexFromStore(afterId);
  }

  /** Records where the chunks of this namespace's packs among `messages` (already listed) are. */
  indexPacks(messages: readonly StoredMessage[]): Promise<Omit<RebuildResult, 'lastId'>> {
    return this.packs.indexPacks(messages);
  }
}
