import { isTgfsError } from '../../errors.js';
import { findByCaption } from './find-by-caption.js';
import type { ByteRange, MessageId, MessageStore, StoredMessage } from './message-store.js';
import { isKnownNotApplied, retryAfterMsOf, StoreUnavailableError } from './store-unavailable-error.js';

export interface RetryOptions {
  /** Attempts per call, the first included (default 8). */
  readonly maxAttempts?: number;
  /** Backoff before the second attempt; doubles each time, with jitter (default 100 ms). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A flood wait longer than this is not waited out: the error goes to the caller (default 5 min). */
  readonly maxRetryAfterMs?: number;
  /**
   * After an append failed in a way that may have posted it, look for a message with the same caption and size
   * posted since the call started before posting again (default true). Sound because tgcryptfs captions name
   * the object they carry; turn it off for stores whose captions repeat.
   */
  readonly dedupeAppends?: boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Retries transient failures (`STORE_UNAVAILABLE`) of another store with exponential backoff, waiting as long as
 * a flood wait asks; permanent errors (`STORE_OBJECT_MISSING`, `STORE_CORRUPT`, anything else) pass at once.
 *
 * Appends are the hard case: a lost reply does not say whether the message posted. With `dedupeAppends` this
 * store checks by caption before re-posting, which covers retries within one call. It cannot cover a crash
 * between posting and recording the id: idempotency across restarts stays the caller's job — the sync engine
 * lists the store (see `findByCaption`) before re-posting an object it has no message id for.
 */
export class RetryingStore implements MessageStore {
  // Largest id seen from this store: a message an append posts gets an id above it.
  private highWater: MessageId = 0;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly inner: MessageStore,
    private readonly options: RetryOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    if (!Number.isSafeInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    }
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    const floor = this.highWater;
    let mayHavePosted = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return this.note(await this.inner.append(caption, bytes));
      } catch (err) {
        await this.backoffOrThrow('append', err, attempt);
        mayHavePosted ||= !isKnownNotApplied(err);
      }
      if (mayHavePosted && (this.options.dedupeAppends ?? true)) {
        const found = await findByCaption(this, caption, floor, { sizeBytes: bytes.byteLength });
        if (found !== undefined) return found.id;
      }
    }
  }

  async list(afterId: MessageId, limit?: number): Promise<StoredMessage[]> {
    const page = await this.retry('list', () => this.inner.list(afterId, limit));
    const last = page[page.length - 1];
    if (last !== undefined) this.note(last.id);
    return page;
  }

  read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    return this.retry('read', () => this.inner.read(id, range));
  }

  delete(ids: readonly MessageId[]): Promise<void> {
    // Deleting is idempotent, so a retry after a lost reply is harmless.
    return this.retry('delete', () => this.inner.delete(ids));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async retry<T>(method: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        await this.backoffOrThrow(method, err, attempt);
      }
    }
  }

  /** Sleeps before the next attempt, or throws if `err` is permanent or the attempts are used up. */
  private async backoffOrThrow(method: string, err: unknown, attempt: number): Promise<void> {
    if (!isTgfsError(err, 'STORE_UNAVAILABLE')) throw err;
    const retryAfterMs = retryAfterMsOf(err);
    const maxRetryAfterMs = this.options.maxRetryAfterMs ?? 5 * 60_000;
    if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) throw err;
    if (attempt >= this.maxAttempts) {
      throw new StoreUnavailableError(`store ${method} failed ${attempt} times, giving up: ${err.message}`, {
        cause: err,
        retryAfterMs,
      });
    }
    const base = this.options.baseDelayMs ?? 100;
    const cap = this.options.maxDelayMs ?? 30_000;
    const backoff = Math.min(cap, base * 2 ** (attempt - 1)) * (0.5 + this.random() / 2);
    await this.sleep(Math.max(retryAfterMs ?? 0, backoff));
  }

  private note(id: MessageId): MessageId {
    if (id > this.highWater) this.highWater = id;
    return id;
  }
}
