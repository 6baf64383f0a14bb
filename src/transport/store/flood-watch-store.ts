import type { ByteRange, MessageId, MessageStore, StoredMessage } from './message-store.js';
import { retryAfterMsOf } from './store-unavailable-error.js';

/**
 * Passes every call through and reports each flood wait the store asks for, so `sync status` can say that
 * sync is waiting and for how long. Sits below a RetryingStore, which does the waiting.
 */
export class FloodWatchStore implements MessageStore {
  constructor(
    readonly inner: MessageStore,
    private readonly onFloodWait: (retryAfterMs: number) => void,
  ) {}

  append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    return this.watch(this.inner.append(caption, bytes));
  }

  list(afterId: MessageId, limit?: number): Promise<StoredMessage[]> {
    return this.watch(this.inner.list(afterId, limit));
  }

  read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    return this.watch(this.inner.read(id, range));
  }

  delete(ids: readonly MessageId[]): Promise<void> {
    return this.watch(this.inner.delete(ids));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async watch<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      const wait = retryAfterMsOf(err);
      if (wait !== undefined) this.onFloodWait(wait);
      throw err;
    }
  }
}
