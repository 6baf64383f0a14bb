import { TgfsError } from '../../errors.js';
import type { ByteRange, MessageId, MessageStore, StoredMessage } from './message-store.js';
import { checkAppendArgs, checkListArgs, sliceRange } from './store-args.js';

interface Entry {
  readonly meta: StoredMessage;
  readonly bytes: Uint8Array;
}

/**
 * A `MessageStore` held in memory, for tests. Ids are 1, 2, 3, … and never reused, even after a delete.
 * Bytes are copied in and out so that callers mutating their buffers cannot change what is stored.
 */
export class MemoryMessageStore implements MessageStore {
  // Entries in ascending id order (append-only, deleted ones removed), so list() is a binary search + slice.
  private entries: Entry[] = [];
  private readonly byId = new Map<MessageId, Entry>();
  private lastId: MessageId = 0;
  private closed = false;

  constructor(private readonly now: () => number = Date.now) {}

  async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    this.checkOpen();
    checkAppendArgs(caption, bytes);
    const id = ++this.lastId;
    const entry: Entry = {
      meta: { id, caption, sizeBytes: bytes.byteLength, dateMs: this.now() },
      bytes: Uint8Array.from(bytes),
    };
    this.entries.push(entry);
    this.byId.set(id, entry);
    return id;
  }

  async list(afterId: MessageId, limit = 100): Promise<StoredMessage[]> {
    this.checkOpen();
    checkListArgs(afterId, limit);
    const start = firstIndexAfter(this.entries, afterId);
    return this.entries.slice(start, start + limit).map((e) => e.meta);
  }

  async read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    this.checkOpen();
    const entry = this.byId.get(id);
    if (entry === undefined) throw new TgfsError('STORE_OBJECT_MISSING', `message ${id} does not exist`);
    return Uint8Array.from(sliceRange(entry.bytes, range));
  }

  async delete(ids: readonly MessageId[]): Promise<void> {
    this.checkOpen();
    let removed = false;
    for (const id of ids) removed = this.byId.delete(id) || removed;
    if (removed) this.entries = this.entries.filter((e) => this.byId.has(e.meta.id));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('MemoryMessageStore is closed');
  }
}

function firstIndexAfter(entries: readonly Entry[], afterId: MessageId): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.meta.id <= afterId) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
