import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';
import { storeContract } from '../../../int/transport/store/store-contract.js';

storeContract('memory', async () => ({ store: new MemoryMessageStore(), cleanup: async () => {} }));
