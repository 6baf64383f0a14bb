import type { KeyInput } from '../../crypto/epoch-box.js';
import { TgfsError } from '../../errors.js';
import { parseCaption } from '../store/captions.js';
import { listPages } from '../store/list-pages.js';
import type { MessageId, MessageStore, StoredMessage } from '../store/message-store.js';
import type { ChunkIndex, ChunkIndexChange } from './chunk-index.js';
import type { Mutex } from './mutex.js';
import { decodePackIndex, type PackEntry, packIndexBytesNeeded } from './pack.js';
import type { StagedBudget } from './staged-budget.js';

export interface RebuildResult {
  readonly packs: number;
  readonly chunks: number;
  /** Packs that could not be read (forged, damaged, not a pack): their chunks stay unknown. */
  readonly failed: { readonly messageId: MessageId; readonly code: string; readonly message: string }[];
  /** The last message id looked at; pass it back to continue later. */
  readonly lastId: MessageId;
}

/** The first ranged read of a pack; an index that needs more costs one more read (packIndexBytesNeeded). */
const HEADER_PROBE_BYTES = 64 * 1024;
const LIST_PAGE = 100;
const SYNC = { sync: true };

/** Learns where chunks are from the self-describing headers of packs in the store. */
export class PackIndexer {
  constructor(
    private readonly ns: string,
    private readonly dataKey: KeyInput,
    private readonly store: MessageStore,
    private readonly index: ChunkIndex,
    /** The index lock, shared with staging and the reader. */
    private readonly lock: Mutex,
    private readonly budget: StagedBudget,
  ) {}

  /**
   * Records the location of every chunk in the namespace's packs in the store after `afterId`: a home
   * rebuilt from the store alone can read all content again. Unreadable packs are reported, not fatal.
   */
  async rebuildIndexFromStore(afterId: MessageId): Promise<RebuildResult> {
    let after = afterId;
    let packs = 0;
    let chunks = 0;
    const failed: { messageId: MessageId; code: string; message: string }[] = [];
    for await (const page of listPages(this.store, afterId, LIST_PAGE)) {
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
        // The store being away says nothing about the pack: stop rather than report it as unreadable.
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

  /** The chunk entries of pack `packId` in message `msg`, read with one ranged read when the header fits. */
  async readPackIndex(msg: MessageId, packId: string): Promise<PackEntry[]> {
    let head = await this.store.read(msg, { offset: 0, length: HEADER_PROBE_BYTES });
    const needed = packIndexBytesNeeded(head, `message ${msg}`);
    if (head.length < needed) head = await this.store.read(msg, { offset: 0, length: needed });
    if (head.length < needed) {
      throw new TgfsError('STORE_CORRUPT', `message ${msg} is shorter than its pack header says`);
    }
    return decodePackIndex(head, this.dataKey, this.ns, packId);
  }

  /** One synced batch: locations in, staging and flight records out. */
  async recordLocations(msg: MessageId, packId: string, entries: readonly PackEntry[]): Promise<void> {
    await this.lock.run(async () => {
      const ids = entries.map((e) => e.chunkId);
      const staged = await this.index.getMany('staged', ids);
      const bad = await this.index.getMany('damaged', ids);
      const changes: ChunkIndexChange[] = [];
      let unstaged = 0;
      entries.forEach((e, i) => {
        const b = bad[i];
        if (b !== undefined) {
          // This very copy failed authentication: indexing it again (a pull or rebuild that lists the pack)
          // must neither point readers back at it nor unstage a good copy waiting for upload.
          if (b.messageId === msg) return;
          changes.push({ type: 'del', kind: 'damaged', id: e.chunkId });
        }
        changes.push({
          type: 'put',
          kind: 'stored',
          id: e.chunkId,
          value: { messageId: msg, packId, offset: e.offset, length: e.lengthBytes },
        });
        const s = staged[i];
        if (s !== undefined) {
          changes.push({ type: 'del', kind: 'staged', id: e.chunkId });
          unstaged += s.length;
        }
      });
      changes.push({ type: 'del', kind: 'flight', id: packId });
      if (msg > (await this.index.lastMessageId()))
        changes.push({ type: 'put', kind: 'lastMessage', value: msg });
      await this.index.batch(changes, SYNC);
      await this.budget.release(unstaged);
    });
  }
}
