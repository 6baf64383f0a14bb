import type { KeyInput } from '../../crypto/epoch-box.js';
import { newRandomId } from '../../crypto/ids.js';
import { TgfsError } from '../../errors.js';
import { formatCaption } from '../store/captions.js';
import { listPages } from '../store/list-pages.js';
import type { MessageStore } from '../store/message-store.js';
import type { ChunkCache } from './chunk-cache.js';
import type { ChunkIndex, PackInFlight, StagedLocation } from './chunk-index.js';
import { Mutex } from './mutex.js';
import { encodePackWithIndex, type PackEntry } from './pack.js';
import type { PackIndexer } from './pack-indexer.js';
import type { StagingArea } from './staging-area.js';

export interface FlushResult {
  readonly packs: number;
  readonly chunks: number;
}

const LIST_PAGE = 100;
const SYNC = { sync: true };

/** Moves staged chunks into packs in the store. */
export class ChunkUploader {
  // One flush at a time, so two flushes never pack the same staged chunk. Separate from the index lock,
  // which is held only briefly and never across an upload, so reads and staging go on during a flush.
  private readonly flushLock = new Mutex();

  constructor(
    private readonly ns: string,
    private readonly dataKey: KeyInput,
    private readonly store: MessageStore,
    private readonly index: ChunkIndex,
    private readonly indexLock: Mutex,
    private readonly staging: StagingArea,
    private readonly cache: ChunkCache,
    private readonly packs: PackIndexer,
    private readonly packTargetBytes: number,
  ) {}

  /**
   * Uploads staged chunks in packs (about `packTargetBytes` each; a few small chunks make one pack) and
   * records where each landed.
   *
   * Idempotent on retry: before posting a pack its id and chunks are recorded (a flight, synced); after the
   * store confirms, one synced batch records the locations and drops the staging and flight records. If the
   * reply was lost (crash, timeout), the next flush lists the store after the recorded high-water id for that
   * pack's caption: found, its header supplies the locations; not found, the chunks are simply still staged
   * and are packed again. The worst case — a post that lands after it was given up — is a duplicate pack,
   * wasted space but never a wrong index: both copies hold the same sealed chunks.
   */
  flushToStore(): Promise<FlushResult> {
    return this.flushLock.run(async () => {
      let packs = 0;
      let chunks = 0;
      for (const [packId, flight] of await this.index.all('flight')) {
        const n = await this.resumeFlight(packId, flight);
        if (n > 0) {
          packs++;
          chunks += n;
        }
      }
      const staged = await this.index.all('staged');
      for (const group of groupBySize(staged, this.packTargetBytes)) {
        chunks += await this.postPack(group);
        packs++;
      }
      await this.indexLock.run(() => removeUnreferencedSegments(this.index, this.staging));
      return { packs, chunks };
    });
  }

  /** Resolves once no flush is running. */
  idle(): Promise<void> {
    return this.flushLock.run(async () => {});
  }

  private async postPack(group: [string, StagedLocation][]): Promise<number> {
    const chunks = await this.staging.readMany(group);
    const packId = newRandomId();
    const { bytes, entries } = encodePackWithIndex({ ns: this.ns, packId, chunks }, this.dataKey);
    const flight: PackInFlight = {
      afterMessageId: await this.index.lastMessageId(),
      chunkIds: group.map(([id]) => id),
    };
    await this.index.batch([{ type: 'put', kind: 'flight', id: packId, value: flight }], SYNC);
    // A local store usually shares the home's disk: on a nearly full one, the read cache gives way first.
    await this.cache.makeRoom(bytes.length);
    const msg = await this.store.append(
      formatCaption({ namespace: this.ns, type: 'chunk', id: packId }),
      bytes,
    );
    await this.packs.recordLocations(msg, packId, entries);
    for (const c of chunks) await this.cache.put(c.chunkId, c.sealed);
    return entries.length;
  }

  /** Finishes a pack whose post may or may not have landed; returns how many chunks it placed. */
  private async resumeFlight(packId: string, flight: PackInFlight): Promise<number> {
    const caption = formatCaption({ namespace: this.ns, type: 'chunk', id: packId });
    for await (const page of listPages(this.store, flight.afterMessageId, LIST_PAGE)) {
      for (const m of page) {
        if (m.caption !== caption) continue;
        let entries: PackEntry[];
        try {
          entries = await this.packs.readPackIndex(m.id, packId);
        } catch (err) {
          // A copy that landed damaged is as good as none: repack its chunks from staging.
          if (err instanceof TgfsError && err.code !== 'STORE_UNAVAILABLE') continue;
          throw err;
        }
        await this.packs.recordLocations(m.id, packId, entries);
        return entries.length;
      }
    }
    // Never landed: its chunks are still staged and go into a fresh pack.
    await this.index.batch([{ type: 'del', kind: 'flight', id: packId }], SYNC);
    return 0;
  }
}

/** Call under the index lock: a segment no staged chunk points into is uploaded or orphaned by a crash. */
export async function removeUnreferencedSegments(index: ChunkIndex, staging: StagingArea): Promise<void> {
  const referenced = new Set((await index.all('staged')).map(([, loc]) => loc.segment));
  await staging.removeUnreferenced(referenced);
}

/** Consecutive runs of about `targetBytes`; a chunk larger than that makes a pack of its own. */
function groupBySize<T extends [string, StagedLocation]>(items: readonly T[], targetBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item[1].length > targetBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item[1].length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
