import { TgfsError } from '../errors.js';
import { LocalMessageStore } from './local-store.js';
import { MemoryMessageStore } from './memory-store.js';
import type { MessageStore } from './message-store.js';
import type { StoreSpec } from './store-spec.js';

/** Opens the adapter a store spec names. */
export async function openMessageStore(spec: StoreSpec): Promise<MessageStore> {
  switch (spec.kind) {
    case 'local':
      return LocalMessageStore.open(spec.dir);
    case 'memory':
      return new MemoryMessageStore();
    case 'telegram':
      throw new TgfsError('STORE_UNAVAILABLE', 'the telegram store is not available in this version yet');
  }
}
