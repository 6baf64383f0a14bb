import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { newRandomId } from '../../crypto/ids.js';
import { TgfsError } from '../../errors.js';
import type { Extent } from '../../events/types.js';
import { formatCaption, parseCaption } from '../store/captions.js';
import type { MessageId, MessageStore, StoredMessage } from '../store/message-store.js';
import { ChunkCache } from './chunk-cache.js';
import { cutAndName, sealPieces } from './chunk-job.js';
import type { ChunkWorkerPool } from './chunk-worker-pool.js';
import { openChunk } from './content-seal.js';
import { DEFAULT_CDC_PARAMS, type FastCdcParams } from './fastcdc.js';
import { decodePackIndex, encodePackWithIndex, type PackEntry, packIndexBytesNeeded } from './pack.js';
import { PlaintextLru } from './plaintext-lru.js';

/**
 * The content of one namespace: files cut into chunks (FastCDC), each sealed alone, staged durably in the
 * home, uploaded in packs, read back through an on-disk cache. Chunks are sealed everywhere at rest — in
 * staging, in the cache and in the store — so the home never holds plaintext content.
 *
 * Index (a LevelDB sublevel owned by the caller), values JSON:
 *   s:{chunkId}  staged, waiting for upload: { seg, off, len } in staging/{seg}
 *   l:{chunkId}  uploaded: { msg, pack, off, len } — a ranged read of message `msg`
 *   f:{packId}   a pack being posted: { after, chunks } — see flushToStore
 *   m:lastMsg    the highest message id this namespace's content has seen
 *
 * Bulk crypto runs on the calling thread through node:crypto; moving chunk/hash/seal to worker threads is a
 * later optimisation (design.md, "FUSE").
 */

export type ChunkIndexOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/**
 * The part of a LevelDB (classic-level, or a sublevel of the home's db with utf8 values) this store uses.
 * Structural on purpose: abstract-level's own generic types do not assign cleanly between db and sublevel.
 */
/** Decrypted chunks kept in memory for sequential reads (see PlaintextLru). */
const RECENT_PLAINTEXT_BYTES = 64 * 1024 * 1024;

export interface ChunkIndexDb {
  get(key: string): Promise<string | undefined>;
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  /** `sync: true` must make the batch durable before it resolves (classic-level does). */
  batch(ops: ChunkIndexOp[], options: { sync: boolean }): Promise<void>;
  iterator(options: { gte: string; lt: string }): AsyncIterable<[string, string]>;
}

export interface ChunkStoreOptions {
  /** The home's cache directory for this namespace: staging/ and cache/ go below it. */
  readonly dir: string;
  /** Namespace id, 32 lowercase hex. */
  readonly ns: string;
  readonly dataKey: Uint8Array;
  readonly chunkIdKey: Uint8Array;
  readonly store: MessageStore;
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
}

interface ActiveSegment {
  readonly name: string;
  readonly handle: FileHandle;
  sizeBytes: number;
}

/** A new segment file once the active one holds this much. */
const SEGMENT_ROTATE_BYTES = 64 * 1024 * 1024;

export interface FlushResult {
  readonly packs: number;
  readonly chunks: number;
}

export interface RebuildResult {
  readonly packs: number;
  readonly chunks: number;
  /** Packs that could not be read (forged, damaged, not a pack): their chunks stay unknown. */
  readonly failed: { readonly messageId: MessageId; readonly code: string; readonly message: string }[];
  /** The last message id looked at; pass it back to continue later. */
  readonly lastId: MessageId;
}

interface StagedLoc {
  readonly seg: string;
  readonly off: number;
  readonly len: number;
}

/** A stored copy of a chunk that failed authentication (kept so the same copy is never indexed again). */
interface BadLoc {
  readonly msg: MessageId;
  readonly reason: string;
}

interface StoredLoc {
  readonly msg: MessageId;
  readonly pack: string;
  readonly off: number;
  readonly len: number;
}

interface Flight {
  readonly after: MessageId;
  readonly chunks: string[];
}

type Op = ChunkIndexOp;

const SYNC = { sync: true };

const DEFAULT_PACK_TARGET_BYTES = 12 * 1024 * 1024;
const HEADER_PROBE_BYTES = 64 * 1024;
const READ_PARALLELISM = 4;
const LIST_PAGE = 100;

export class ChunkStore {
  readonly ns: string;
  private readonly dataKey: Uint8Array;
  private readonly chunkIdKey: Uint8Array;
  private readonly store: MessageStore;
  private readonly index: ChunkIndexDb;
  private readonly stagingDir: string;
  private readonly params: FastCdcParams;
  private readonly packTargetBytes: number;
  private readonly workers: ChunkWorkerPool | undefined;
  private readonly syncIndex: boolean;
  private active: ActiveSegment | undefined;
  // Index mutations and staging-directory changes; held briefly, never across an upload.
  private readonly lock = new Mutex();
  // One flush at a time, so two flushes never pack the same staged chunk.
  private readonly flushLock = new Mutex();
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly recent = new PlaintextLru(RECENT_PLAINTEXT_BYTES);
  private stagedBytes = 0;

  private constructor(
    opts: ChunkStoreOptions,
    private readonly cache: ChunkCache,
  ) {
    this.ns = opts.ns;
    this.dataKey = opts.dataKey;
    this.chunkIdKey = opts.chunkIdKey;
    this.store = opts.store;
    this.index = opts.index;
    this.stagingDir = join(opts.dir, 'staging');
    this.params = opts.cdcParams ?? DEFAULT_CDC_PARAMS;
    this.packTargetBytes = opts.packTargetBytes ?? DEFAULT_PACK_TARGET_BYTES;
    this.workers = opts.workers;
    this.syncIndex = opts.syncIndex ?? true;
  }

  static async open(opts: ChunkStoreOptions): Promise<ChunkStore> {
    if (opts.dataKey.length !== 32) throw new TypeError('data key must be 32 bytes');
    await mkdir(join(opts.dir, 'staging'), { recursive: true });
    const cache = await ChunkCache.open(join(opts.dir, 'cache'), opts.maxCacheBytes);
    const cs = new ChunkStore(opts, cache);
    await cs.lock.run(async () => {
      for (const [, loc] of await cs.stagedEntries()) cs.stagedBytes += loc.len;
      await cs.cache.setPinnedBytes(cs.stagedBytes);
      await cs.removeUnreferencedSegments();
    });
    return cs;
  }

  /** Waits for running work; the index and the store belong to the caller and stay open. */
  async close(): Promise<void> {
    await this.flushLock.run(async () => {});
    await this.lock.run(async () => {
      await this.active?.handle.close();
      this.active = undefined;
    });
  }

  /**
   * Cuts `content` into chunks and stages the new ones (sealed) in the home. When this resolves the content
   * is durable locally — segment file fsynced, index written with sync — and the returned extents may be
   * committed in a Write event. Chunks already known (staged or uploaded) are not stored again. `content` must
   * not change until this resolves (see stage).
   */
  async putFile(content: Uint8Array): Promise<Extent[]> {
    return (await this.stage(content, false)).extents;
  }

  /**
   * For a file still being written: stages the chunks of `content` that are final — every chunk but the last
   * piece, whose cut point may still move as bytes are appended — and says how many bytes they cover. `content`
   * must start at a chunk boundary of the file (its start, or the end of earlier settled bytes), so that the
   * chunks are the ones putFile of the whole file would cut.
   */
  putSettled(content: Uint8Array): Promise<{ extents: Extent[]; settledBytes: number }> {
    return this.stage(content, true);
  }

  /**
   * Cuts, names and seals `content` (in the worker thread when there is one) and stages the chunks the
   * store does not hold yet. The caller must not change `content` until this resolves: without a worker, ids
   * are computed first and the bytes sealed later, and a chunk sealed with other bytes than its id names would
   * poison deduplication.
   */
  private async stage(
    content: Uint8Array,
    settledOnly: boolean,
  ): Promise<{ extents: Extent[]; settledBytes: number }> {
    const workers = this.workers;
    const cut = workers
      ? await workers.cut(content, this.params, this.chunkIdKey, settledOnly)
      : { job: 0, ...cutAndName(content, this.params, this.chunkIdKey, settledOnly) };
    const extents = cut.pieces.map((p) => ({ chunkId: p.chunkId, lengthBytes: p.end - p.start }));
    try {
      await this.lock.run(async () => {
        const unique = [...new Map(cut.pieces.map((p) => [p.chunkId, p])).values()];
        const known = await this.index.getMany(unique.flatMap((p) => [`s:${p.chunkId}`, `l:${p.chunkId}`]));
        const fresh = unique.filter((_, i) => known[2 * i] === undefined && known[2 * i + 1] === undefined);
        const sealed = workers
          ? await workers.seal(cut.job, fresh, this.ns, this.dataKey)
          : sealPieces(content, fresh, this.ns, this.dataKey);
        if (fresh.length === 0) return;
        const segment = await this.activeSegment();
        const ops: Op[] = [];
        let added = 0;
        for (const [i, piece] of fresh.entries()) {
          const box = sealed[i]!;
          const off = segment.sizeBytes;
          await writeAll(segment.handle, box, off);
          segment.sizeBytes += box.length;
          ops.push({
            type: 'put',
            key: `s:${piece.chunkId}`,
            value: JSON.stringify({ seg: segment.name, off, len: box.length }),
          });
          added += box.length;
        }
        // One data sync per call; the segment's directory entry was made durable when it was created.
        await segment.handle.datasync();
        await this.index.batch(ops, { sync: this.syncIndex });
        this.stagedBytes += added;
        await this.cache.setPinnedBytes(this.stagedBytes);
      });
    } catch (err) {
      workers?.drop(cut.job);
      throw err;
    }
    return { extents, settledBytes: cut.settledBytes };
  }

  /** Whether the chunk is staged or uploaded. */
  async has(chunkId: string): Promise<boolean> {
    const [s, l] = await this.index.getMany([`s:${chunkId}`, `l:${chunkId}`]);
    return s !== undefined || l !== undefined;
  }

  /** Chunks staged in the home and not yet in the store. */
  async pendingChunks(): Promise<number> {
    return (await this.stagedEntries()).length;
  }

  /**
   * A chunk's plaintext: from staging, else the cache, else a ranged read of its pack in the store (then
   * cached). Failing authentication is CHUNK_AUTH_FAILED naming the chunk and the message; an unknown chunk
   * is CHUNK_MISSING. Nothing stored is changed on failure (a damaged cache entry is dropped and refetched).
   */
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

  /**
   * Bytes [offset, offset+length) of the file made of `extents`, fetching only the chunks that overlap it.
   * Like read(2), a range past the end is cut short.
   */
  async readRange(extents: readonly Extent[], offset: number, length: number): Promise<Uint8Array> {
    const total = extents.reduce((sum, e) => sum + e.lengthBytes, 0);
    const out = Buffer.alloc(Math.max(0, Math.min(offset + length, total) - offset));
    await this.readRangeInto(extents, offset, out);
    return out;
  }

  /**
   * Like readRange, into `target` (FUSE's own read buffer): no buffer per call, which at 128 KiB per read is
   * most of what the garbage collector would otherwise do. Resolves with the bytes written (short at EOF).
   */
  async readRangeInto(extents: readonly Extent[], offset: number, target: Uint8Array): Promise<number> {
    const length = target.length;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`read range must be non-negative integers, got ${offset}+${length}`);
    }
    const wanted: { extent: Extent; start: number }[] = [];
    let pos = 0;
    let next: Extent | undefined;
    for (const extent of extents) {
      const end = pos + extent.lengthBytes;
      if (end > offset && pos < offset + length) wanted.push({ extent, start: pos });
      else if (next === undefined && wanted.length > 0) next = extent;
      pos = end;
    }
    // Read-ahead: the kernel reads 128 KiB at a time, so while it consumes this chunk, fetch and open the next
    // one (a failure here is only reported when that chunk is really read).
    if (next !== undefined) this.read(next).catch(() => undefined);
    const endPos = Math.min(offset + length, pos);
    const out = target;
    await forEachLimited(wanted, READ_PARALLELISM, async ({ extent, start }) => {
      const plain = await this.read(extent);
      if (plain.length !== extent.lengthBytes) {
        throw new TgfsError(
          'STORE_CORRUPT',
          `chunk ${extent.chunkId} of namespace ${this.ns} is ${plain.length} bytes, its extent says ${extent.lengthBytes}`,
        );
      }
      const from = Math.max(offset, start);
      const to = Math.min(endPos, start + plain.length);
      out.set(plain.subarray(from - start, to - start), from - offset);
    });
    return Math.max(0, endPos - offset);
  }

  /**
   * Uploads staged chunks in packs (about `packTargetBytes` each; a few small chunks make one pack) and
   * records where each landed.
   *
   * Idempotent on retry: before posting a pack its id and chunks are recorded (`f:`, synced); after the store
   * confirms, one synced batch records the locations and drops the staging and flight records. If the reply
   * was lost (crash, timeout), the next flush lists the store after the recorded high-water id for that pack's
   * caption: found, its header supplies the locations; not found, the chunks are simply still staged and are
   * packed again. The worst case — a post that lands after it was given up — is a duplicate pack, wasted
   * space but never a wrong index: both copies hold the same sealed chunks.
   */
  async flushToStore(): Promise<FlushResult> {
    return this.flushLock.run(async () => {
      let packs = 0;
      let chunks = 0;
      for (const [packId, flight] of await this.flights()) {
        const n = await this.resumeFlight(packId, flight);
        if (n > 0) {
          packs++;
          chunks += n;
        }
      }
      const staged = await this.stagedEntries();
      for (const group of groupBySize(staged, this.packTargetBytes)) {
        chunks += await this.postPack(group);
        packs++;
      }
      await this.lock.run(() => this.removeUnreferencedSegments());
      return { packs, chunks };
    });
  }

  /**
   * Records the location of every chunk in the namespace's packs in the store after `afterId`: a home
   * rebuilt from the store alone can read all content again. Unreadable packs are reported, not fatal.
   */
  async rebuildIndexFromStore(afterId: MessageId = 0): Promise<RebuildResult> {
    let after = afterId;
    let packs = 0;
    let chunks = 0;
    const failed: { messageId: MessageId; code: string; message: string }[] = [];
    for (;;) {
      const page = await this.store.list(after, LIST_PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const r = await this.indexPacks(page);
      packs += r.packs;
      chunks += r.chunks;
      failed.push(...r.failed);
    }
    return { packs, chunks, failed, lastId: after };
  }

  /** Records where the chunks of this namespace's packs among `messages` (already listed) are. */
  async indexPacks(messages: readonly StoredMessage[]): Promise<Omit<RebuildResult, 'lastId'>> {
    let packs = 0;
    let chunks = 0;
    const failed: { messageId: MessageId; code: string; message: string }[] = [];
    for (const m of messages) {
      const caption = parseCaption(m.caption);
      if (caption === undefined || caption.namespace !== this.ns || caption.type !== 'chunk') continue;
      let entries: PackEntry[];
      try {
        entries = await this.readPackIndex(m.id, caption.id);
      } catch (err) {
        if (!(err instanceof TgfsError)) throw err;
        if (err.code === 'STORE_UNAVAILABLE') throw err;
        failed.push({ messageId: m.id, code: err.code, message: err.message });
        continue;
      }
      await this.recordLocations(m.id, caption.id, entries);
      packs++;
      chunks += entries.length;
    }
    return { packs, chunks, failed };
  }

  private async readUncoalesced(id: string): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const [s, l] = await this.index.getMany([`s:${id}`, `l:${id}`]);
      if (s !== undefined) {
        const loc = JSON.parse(s) as StagedLoc;
        const sealed = await readSegment(this.stagingDir, loc);
        // A flush may have uploaded it and removed the segment since the index was read: look again.
        if (sealed === undefined && attempt < 2) continue;
        if (sealed !== undefined) return openChunk(this.dataKey, this.ns, id, sealed, `staged in ${loc.seg}`);
      }
      const cached = await this.cache.get(id);
      if (cached !== undefined) {
        try {
          return openChunk(this.dataKey, this.ns, id, cached, 'local cache');
        } catch {
          await this.cache.delete(id);
        }
      }
      if (l === undefined) {
        const bad = await this.index.get(`b:${id}`);
        if (bad !== undefined) throw new TgfsError('CHUNK_AUTH_FAILED', (JSON.parse(bad) as BadLoc).reason);
        throw new TgfsError(
          'CHUNK_MISSING',
          `chunk ${id} of namespace ${this.ns} is neither local nor in the index`,
        );
      }
      const loc = JSON.parse(l) as StoredLoc;
      const sealed = await this.store.read(loc.msg, { offset: loc.off, length: loc.len });
      let plain: Uint8Array;
      try {
        plain = openChunk(this.dataKey, this.ns, id, sealed, `message ${loc.msg}`);
      } catch (err) {
        if (err instanceof TgfsError && err.code === 'CHUNK_AUTH_FAILED')
          await this.forgetDamaged(id, loc.msg, err.message);
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
  private async forgetDamaged(id: string, msg: MessageId, reason: string): Promise<void> {
    const bad: BadLoc = { msg, reason };
    await this.lock.run(async () => {
      await this.index.batch(
        [
          { type: 'del', key: `l:${id}` },
          { type: 'put', key: `b:${id}`, value: JSON.stringify(bad) },
        ],
        SYNC,
      );
    });
  }

  private async postPack(group: [string, StagedLoc][]): Promise<number> {
    const chunks = await readStagedChunks(this.stagingDir, group);
    const packId = newRandomId();
    const { bytes, entries } = encodePackWithIndex({ ns: this.ns, packId, chunks }, this.dataKey);
    const flight: Flight = { after: await this.lastMessageId(), chunks: group.map(([id]) => id) };
    await this.index.batch([{ type: 'put', key: `f:${packId}`, value: JSON.stringify(flight) }], SYNC);
    const msg = await this.store.append(
      formatCaption({ namespace: this.ns, type: 'chunk', id: packId }),
      bytes,
    );
    await this.recordLocations(msg, packId, entries);
    for (const c of chunks) await this.cache.put(c.chunkId, c.sealed);
    return entries.length;
  }

  /** Finishes a pack whose post may or may not have landed; returns how many chunks it placed. */
  private async resumeFlight(packId: string, flight: Flight): Promise<number> {
    const caption = formatCaption({ namespace: this.ns, type: 'chunk', id: packId });
    let after = flight.after;
    for (;;) {
      const page = await this.store.list(after, LIST_PAGE);
      if (page.length === 0) break;
      for (const m of page) {
        after = m.id;
        if (m.caption !== caption) continue;
        let entries: PackEntry[];
        try {
          entries = await this.readPackIndex(m.id, packId);
        } catch (err) {
          // A copy that landed damaged is as good as none: repack its chunks from staging.
          if (err instanceof TgfsError && err.code !== 'STORE_UNAVAILABLE') continue;
          throw err;
        }
        await this.recordLocations(m.id, packId, entries);
        return entries.length;
      }
    }
    // Never landed: its chunks are still staged and go into a fresh pack.
    await this.index.batch([{ type: 'del', key: `f:${packId}` }], SYNC);
    return 0;
  }

  private async readPackIndex(msg: MessageId, packId: string): Promise<PackEntry[]> {
    let head = await this.store.read(msg, { offset: 0, length: HEADER_PROBE_BYTES });
    const needed = packIndexBytesNeeded(head, `message ${msg}`);
    if (head.length < needed) head = await this.store.read(msg, { offset: 0, length: needed });
    if (head.length < needed) {
      throw new TgfsError('STORE_CORRUPT', `message ${msg} is shorter than its pack header says`);
    }
    return decodePackIndex(head, this.dataKey, this.ns, packId);
  }

  /** One synced batch: locations in, staging and flight records out. */
  private async recordLocations(
    msg: MessageId,
    packId: string,
    entries: readonly PackEntry[],
  ): Promise<void> {
    await this.lock.run(async () => {
      const staged = await this.index.getMany(entries.map((e) => `s:${e.chunkId}`));
      const bad = await this.index.getMany(entries.map((e) => `b:${e.chunkId}`));
      const ops: Op[] = [];
      let unstaged = 0;
      entries.forEach((e, i) => {
        const b = bad[i];
        if (b !== undefined) {
          // This very copy failed authentication: indexing it again (a pull or rebuild that lists the pack)
          // must neither point readers back at it nor unstage a good copy waiting for upload.
          if ((JSON.parse(b) as BadLoc).msg === msg) return;
          ops.push({ type: 'del', key: `b:${e.chunkId}` });
        }
        const loc: StoredLoc = { msg, pack: packId, off: e.offset, len: e.lengthBytes };
        ops.push({ type: 'put', key: `l:${e.chunkId}`, value: JSON.stringify(loc) });
        const s = staged[i];
        if (s !== undefined) {
          ops.push({ type: 'del', key: `s:${e.chunkId}` });
          unstaged += (JSON.parse(s) as StagedLoc).len;
        }
      });
      ops.push({ type: 'del', key: `f:${packId}` });
      if (msg > (await this.lastMessageId())) ops.push({ type: 'put', key: 'm:lastMsg', value: String(msg) });
      await this.index.batch(ops, SYNC);
      this.stagedBytes -= unstaged;
      await this.cache.setPinnedBytes(this.stagedBytes);
    });
  }

  private async lastMessageId(): Promise<MessageId> {
    const v = await this.index.get('m:lastMsg');
    return v === undefined ? 0 : Number(v);
  }

  private async stagedEntries(): Promise<[string, StagedLoc][]> {
    const out: [string, StagedLoc][] = [];
    for await (const [key, value] of this.index.iterator({ gte: 's:', lt: 's;' })) {
      out.push([key.slice(2), JSON.parse(value) as StagedLoc]);
    }
    return out;
  }

  private async flights(): Promise<[string, Flight][]> {
    const out: [string, Flight][] = [];
    for await (const [key, value] of this.index.iterator({ gte: 'f:', lt: 'f;' })) {
      out.push([key.slice(2), JSON.parse(value) as Flight]);
    }
    return out;
  }

  /** Call under `lock`: deletes segments no staged chunk points into (uploaded, or orphaned by a crash). */
  /**
   * The segment file new chunks are appended to (one per store session, rotated by size): appending costs one
   * data sync per call, where a file per call cost a file sync, a rename and a directory sync.
   */
  private async activeSegment(): Promise<ActiveSegment> {
    const current = this.active;
    if (current !== undefined && current.sizeBytes < SEGMENT_ROTATE_BYTES) return current;
    await current?.handle.close();
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.seg`;
    const handle = await open(join(this.stagingDir, name), 'wx');
    await syncDirectory(this.stagingDir);
    this.active = { name, handle, sizeBytes: 0 };
    return this.active;
  }

  private async removeUnreferencedSegments(): Promise<void> {
    const referenced = new Set((await this.stagedEntries()).map(([, loc]) => loc.seg));
    // Everything in the active segment went up: start a new one rather than append to a deleted file.
    if (this.active !== undefined && !referenced.has(this.active.name)) {
      await this.active.handle.close();
      this.active = undefined;
    }
    for (const name of await readdir(this.stagingDir)) {
      if (!referenced.has(name)) await unlink(join(this.stagingDir, name)).catch(() => {});
    }
  }
}

/** A promise-chain mutex: callers run one at a time, in call order. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** Makes a directory's entries (a new file's name) durable. */
async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** The sealed bytes of a staged chunk, or undefined when its segment is gone (uploaded meanwhile). */
async function readSegment(dir: string, loc: StagedLoc): Promise<Uint8Array | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(join(dir, loc.seg), 'r');
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await readFully(fh, loc.off, loc.len);
  } finally {
    await fh.close();
  }
}

async function readFully(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

async function readStagedChunks(
  dir: string,
  group: readonly [string, StagedLoc][],
): Promise<{ chunkId: string; sealed: Uint8Array }[]> {
  const handles = new Map<string, FileHandle>();
  try {
    const out: { chunkId: string; sealed: Uint8Array }[] = [];
    for (const [chunkId, loc] of group) {
      let fh = handles.get(loc.seg);
      if (fh === undefined) {
        fh = await open(join(dir, loc.seg), 'r');
        handles.set(loc.seg, fh);
      }
      const sealed = await readFully(fh, loc.off, loc.len);
      if (sealed.length !== loc.len) {
        throw new TgfsError('HOME_DAMAGED', `staged chunk ${chunkId} is cut short in ${join(dir, loc.seg)}`);
      }
      out.push({ chunkId, sealed });
    }
    return out;
  } finally {
    for (const fh of handles.values()) await fh.close();
  }
}

function groupBySize<T extends [string, StagedLoc]>(items: readonly T[], targetBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item[1].len > targetBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item[1].len;
  }
  if (current.length > 0) groups.push(current);
  return groups;
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
