import { LocalMessageStore } from './local-store.js';
import { MemoryMessageStore } from './memory-store.js';
import type { MessageStore } from './message-store.js';
import type { StoreSpec } from './store-spec.js';
import type { OpenTelegramStoreOptions } from './telegram/open-telegram-store.js';

export type OpenStoreOptions = OpenTelegramStoreOptions;

/** Opens the adapter a store spec names. `options` matter to telegram only (home, API id and hash). */
export async function openMessageStore(
  spec: StoreSpec,
  options: OpenStoreOptions = {},
): Promise<MessageStore> {
  switch (spec.kind) {
    case 'local':
      return LocalMessageStore.open(spec.dir);
    case 'memory':
      return new MemoryMessageStore();
    case 'telegram':
      // Loaded on demand: GramJS is large, and local homes never need it.
      return (await import('./telegram/open-telegram-store.js')).openTelegramStore(options);
  }
}
