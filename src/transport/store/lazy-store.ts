import type { ByteRange, MessageId, MessageStore, StoredMessage } from './message-store.js';

/**
 * A store opened on first use, and again on the next call after opening failed: a mount starts and keeps
 * working from the local log while the store (Telegram behind a dead network, a revoked session) cannot be
 * reached; each call then fails with the opener's error, which sync reports and retries.
 */
export class LazyStore implements MessageStore {
  private opening: Promise<MessageStore> | undefined;

  constructor(private readonly open: () => Promise<MessageStore>) {}

  private inner(): Promise<MessageStore> {
    if (this.opening === undefined) {
      const opening = this.open();
      this.opening = opening;
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
    }
    return this.opening;
  }

  async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    return (await this.inner()).append(caption, bytes);
  }

  async list(afterId: MessageId, limit?: number): Promise<StoredMessage[]> {
    return (await this.inner()).list(afterId, limit);
  }

  async read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    return (await this.inner()).read(id, range);
  }

  async delete(ids: readonly MessageId[]): Promise<void> {
    return (await this.inner()).delete(ids);
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (opening === undefined) return;
    try {
      await (await opening).close();
    } catch {
      // Never opened: nothing to close.
    }
  }
}
