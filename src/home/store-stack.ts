import { FloodWatchStore } from '../transport/store/flood-watch-store.js';
import { LazyStore } from '../transport/store/lazy-store.js';
import type { MessageStore } from '../transport/store/message-store.js';
import { type OpenStoreOptions, openMessageStore } from '../transport/store/open-store.js';
import { RetryingStore, type RetryOptions } from '../transport/store/retrying-store.js';
import type { StoreSpec } from '../transport/store/store-spec.js';

/** How long the store asked to be left alone, and when that was said. */
export type FloodWaitListener = (retryAfterMs: number) => void;

/**
 * The one store a process talks to, built in this one place: the adapter, connected on first use (a store out of
 * reach — no network, a lapsed Telegram session — fails each call instead of the mount that opened it), flood
 * waits reported as they begin and as they are thrown, and transient failures retried once, at the top. Mounts,
 * content stores, pushers and the sync engine of a process all share it: one Telegram client per process.
 */
export interface StoreStack {
  readonly store: MessageStore;
  /** Hears every flood wait: the ones the adapter waits out itself and the ones it throws. */
  onFloodWait(listener: FloodWaitListener): () => void;
  close(): Promise<void>;
}

export interface StoreStackOptions extends OpenStoreOptions {
  readonly retry?: RetryOptions;
  /** An adapter to use instead of the one `spec` names (tests pass fault-injecting stores). */
  readonly adapter?: MessageStore;
}

export function openStoreStack(spec: StoreSpec, options: StoreStackOptions = {}): StoreStack {
  const listeners = new Set<FloodWaitListener>();
  const tell = (ms: number) => {
    for (const l of listeners) l(ms);
  };
  const { retry, adapter, ...open } = options;
  const connect = () =>
    adapter !== undefined
      ? Promise.resolve(adapter)
      : openMessageStore(spec, {
          ...open,
          store: { ...open.store, onWait: (seconds) => tell(seconds * 1000) },
        });
  const store = new RetryingStore(new FloodWatchStore(new LazyStore(connect), tell), retry);
  return {
    store,
    onFloodWait(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => store.close(),
  };
}
