/**
 * The `MessageStore` port (design.md, "Store and sync"): an append-only store of (caption, bytes) messages with
 * increasing numeric ids. Adapters: local directory, memory, telegram; wrappers add faults or retries.
 *
 * Contract, per method:
 * - `append(caption, bytes)` stores one message and returns its id, greater than every id returned before by
 *   this store. Captions are `tgfs:{namespace}:{type}:{id}` (see captions.ts) and at most 1024 characters.
 * - `list(afterId, limit)` returns up to `limit` messages with id > afterId, ascending, without their bytes.
 *   An empty page means there is nothing newer. Deleted messages are not listed.
 * - `read(id, range?)` returns the bytes (or the byte range [offset, offset+length)) of message `id`.
 *   A missing or deleted id is a permanent `STORE_OBJECT_MISSING` error.
 * - `delete(ids)` removes messages; ids that are already gone are ignored.
 * Failures: `STORE_UNAVAILABLE` is transient (worth retrying: a dropped connection, a flood wait);
 * `STORE_OBJECT_MISSING` and `STORE_CORRUPT` are permanent. `NO_SPACE` (a local store's disk is full) lasts
 * until someone frees space: callers retry at their next round, not in a tight loop.
 */

export type MessageId = number;

export interface StoredMessage {
  readonly id: MessageId;
  readonly caption: string;
  readonly sizeBytes: number;
  /** Milliseconds since the epoch, as the store recorded it. */
  readonly dateMs: number;
}

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface MessageStore {
  append(caption: string, bytes: Uint8Array): Promise<MessageId>;
  list(afterId: MessageId, limit?: number): Promise<StoredMessage[]>;
  read(id: MessageId, range?: ByteRange): Promise<Uint8Array>;
  delete(ids: readonly MessageId[]): Promise<void>;
  close(): Promise<void>;
}

export type ObjectType = 'chunk' | 'op' | 'meta' | 'manifest';
