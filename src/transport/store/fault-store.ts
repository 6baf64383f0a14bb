import type { ByteRange, MessageId, MessageStore, StoredMessage } from './message-store.js';
import { StoreUnavailableError } from './store-unavailable-error.js';

export interface FaultOptions {
  /** Seed of the RNG that decides which calls fail: the same seed and calls give the same faults. */
  readonly seed: number;
  /** Fraction of calls failing with STORE_UNAVAILABLE before reaching the inner store (0..1). */
  readonly failBeforeRate?: number;
  /**
   * Fraction of calls failing with STORE_UNAVAILABLE after the inner call took effect: the reply was lost.
   * An append that failed this way has posted its message, which is what makes idempotency matter.
   */
  readonly failAfterRate?: number;
  /** Fraction of calls refused with a flood wait (STORE_UNAVAILABLE carrying retryAfterMs, nothing done). */
  readonly floodWaitRate?: number;
  /** The flood wait asked for (default 5 ms; tests keep it small). */
  readonly floodWaitMs?: number;
}

export type FaultKind = 'before' | 'after' | 'flood-wait';

export interface FaultRecord {
  readonly method: 'append' | 'list' | 'read' | 'delete';
  readonly kind: FaultKind;
}

/**
 * Wraps a `MessageStore` and makes a seeded fraction of its calls fail the way a remote store does: refused,
 * lost after taking effect, or throttled. `close` is passed through untouched.
 */
export class FaultInjectingStore implements MessageStore {
  /** Every fault injected so far, in order, so tests can assert that faults really happened. */
  readonly faults: FaultRecord[] = [];
  private readonly nextRandom: () => number;
  private enabled = true;

  constructor(
    readonly inner: MessageStore,
    private readonly options: FaultOptions,
  ) {
    const { failBeforeRate = 0, failAfterRate = 0, floodWaitRate = 0 } = options;
    for (const rate of [failBeforeRate, failAfterRate, floodWaitRate]) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault rates must be within 0..1, got ${rate}`);
    }
    if (failBeforeRate + failAfterRate + floodWaitRate > 1)
      throw new RangeError('fault rates add up to more than 1');
    this.nextRandom = mulberry32(options.seed);
  }

  /** Turns fault injection off or on (e.g. to check the final state without faults). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    return this.call('append', () => this.inner.append(caption, bytes));
  }

  list(afterId: MessageId, limit?: number): Promise<StoredMessage[]> {
    return this.call('list', () => this.inner.list(afterId, limit));
  }

  read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    return this.call('read', () => this.inner.read(id, range));
  }

  delete(ids: readonly MessageId[]): Promise<void> {
    return this.call('delete', () => this.inner.delete(ids));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async call<T>(method: FaultRecord['method'], run: () => Promise<T>): Promise<T> {
    const kind = this.enabled ? this.draw() : undefined;
    if (kind !== undefined) this.faults.push({ method, kind });
    if (kind === 'before')
      throw new StoreUnavailableError(`injected fault: ${method} failed before reaching the store`);
    if (kind === 'flood-wait') {
      const retryAfterMs = this.options.floodWaitMs ?? 5;
      throw new StoreUnavailableError(`injected fault: ${method} refused, flood wait ${retryAfterMs} ms`, {
        retryAfterMs,
        notApplied: true,
      });
    }
    const result = await run();
    if (kind === 'after')
      throw new StoreUnavailableError(`injected fault: ${method} took effect but its reply was lost`);
    return result;
  }

  private draw(): FaultKind | undefined {
    const { failBeforeRate = 0, failAfterRate = 0, floodWaitRate = 0 } = this.options;
    const r = this.nextRandom();
    if (r < failBeforeRate) return 'before';
    if (r < failBeforeRate + failAfterRate) return 'after';
    if (r < failBeforeRate + failAfterRate + floodWaitRate) return 'flood-wait';
    return undefined;
  }
}

/** A small seeded PRNG (mulberry32): reproducible faults without a dependency. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
