import { MemoryMessageStore } from '../../../src/transport/memory-store.js';
import { storeContract } from '../../int/transport/store-contract.js';

storeContract('memory', async () => ({ store: new MemoryMessageStore(), cleanup: async () => {} }));
