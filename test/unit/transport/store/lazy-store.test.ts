import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTgfsError, TgfsError } from '../../../../src/errors.js';
import { LazyStore } from '../../../../src/transport/store/lazy-store.js';
import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';

test('a lazy store opens on first use, reports an opening failure per call, and opens again later', async () => {
  let attempts = 0;
  let reachable = false;
  const inner = new MemoryMessageStore();
  const store = new LazyStore(async () => {
    attempts++;
    if (!reachable) throw new TgfsError('STORE_UNAVAILABLE', 'cannot reach Telegram (test)');
    return inner;
  });
  assert.equal(attempts, 0, 'creating it connects to nothing');
  await assert.rejects(store.list(0), (e) => isTgfsError(e, 'STORE_UNAVAILABLE'));
  await assert.rejects(store.append('tgfs:x', new Uint8Array(1)), (e) => isTgfsError(e, 'STORE_UNAVAILABLE'));
  assert.equal(attempts, 2, 'each call after a failure tries again');

  reachable = true;
  const id = await store.append('tgfs:x', Uint8Array.of(7));
  assert.deepEqual(await store.read(id), Uint8Array.of(7));
  assert.equal((await store.list(0)).length, 1);
  assert.equal(attempts, 3, 'once open, it stays open');
  await store.close();
});
