import type { Extent } from '../../events/types.js';
import type { ChunkIndex, ChunkIndexChange } from './chunk-index.js';
import { cutAndName, sealPieces } from './chunk-job.js';
import type { ChunkWorkerPool } from './chunk-worker-pool.js';
import type { FastCdcParams } from './fastcdc.js';
import type { Mutex } from './mutex.js';
import type { StagedBudget } from './staged-budget.js';
import type { StagingArea } from './staging-area.js';

export interface StagerOptions {
  readonly ns: string;
  /** The current key epoch's data key, and that epoch: new chunks are sealed under it. */
  readonly dataKey: Uint8Array;
  readonly epoch: number;
  readonly chunkIdKey: Uint8Array;
  readonly params: FastCdcParams;
  readonly workers: ChunkWorkerPool | undefined;
  /** See ChunkStoreOptions.syncIndex. */
  readonly syncIndex: boolean;
}

/** The write path: content in, sealed chunks staged durably, extents out. */
export class ChunkStager {
  constructor(
    private readonly opts: StagerOptions,
    private readonly index: ChunkIndex,
    /** The index lock: deduplication and staging must see and change the index as one step. */
    private readonly lock: Mutex,
    private readonly staging: StagingArea,
    private readonly budget: StagedBudget,
  ) {}

  /**
   * Cuts, names and seals `content` (in the worker thread when there is one) and stages the chunks the
   * store does not hold yet. The caller must not change `content` until this resolves: without a worker, ids
   * are computed first and the bytes sealed later, and a chunk sealed with other bytes than its id names would
   * poison deduplication.
   */
  async stage(
    content: Uint8Array,
    settledOnly: boolean,
  ): Promise<{ extents: Extent[]; settledBytes: number }> {
    const { ns, dataKey, epoch, chunkIdKey, params, workers } = this.opts;
    const cut = workers
      ? await workers.cut(content, params, chunkIdKey, settledOnly)
      : { job: 0, ...cutAndName(content, params, chunkIdKey, settledOnly) };
    const extents = cut.pieces.map((p) => ({ chunkId: p.chunkId, lengthBytes: p.end - p.start }));
    try {
      await this.lock.run(async () => {
        const unique = [...new Map(cut.pieces.map((p) => [p.chunkId, p])).values()];
        const known = await this.index.locate(unique.map((p) => p.chunkId));
        const fresh = unique.filter(
          (_, i) => known[i]?.staged === undefined && known[i]?.stored === undefined,
        );
        // Sealing runs even when nothing is fresh: it is what releases the worker's copy of the job.
        const sealed = workers
          ? await workers.seal(cut.job, fresh, ns, dataKey, epoch)
          : sealPieces(content, fresh, ns, dataKey, epoch);
        if (fresh.length === 0) return;
        await this.budget.makeRoom(fresh.reduce((n, _, i) => n + sealed[i]!.length, 0));
        const locations = await this.staging.append(fresh.map((_, i) => sealed[i]!));
        const changes: ChunkIndexChange[] = fresh.map((piece, i) => ({
          type: 'put',
          kind: 'staged',
          id: piece.chunkId,
          value: locations[i]!,
        }));
        try {
          await this.index.batch(changes, { sync: this.opts.syncIndex });
        } catch (err) {
          // Unindexed chunks are unreachable: give their space back (a full disk fails here too).
          await this.staging.discard(locations);
          throw err;
        }
        await this.budget.add(locations.reduce((n, loc) => n + loc.length, 0));
      });
    } catch (err) {
      workers?.drop(cut.job);
      throw err;
    }
    return { extents, settledBytes: cut.settledBytes };
  }
}
