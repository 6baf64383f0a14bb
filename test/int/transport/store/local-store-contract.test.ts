import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMessageStore } from '../../../../src/transport/store/local-store.js';
import { storeContract } from './store-contract.js';

storeContract('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-local-store-'));
  const store = await LocalMessageStore.open(join(dir, 'store'));
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
