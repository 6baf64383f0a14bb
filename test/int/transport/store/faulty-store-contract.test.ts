import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FaultInjectingStore } from '../../../../src/transport/store/fault-store.js';
import { LocalMessageStore } from '../../../../src/transport/store/local-store.js';
import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';
import type { MessageStore } from '../../../../src/transport/store/message-store.js';
import { RetryingStore } from '../../../../src/transport/store/retrying-store.js';
import { type StoreFixture, storeContract } from './store-contract.js';

// 20% of calls fail (half of them after taking effect) and 5% hit a flood wait; the retrying wrapper must hide
// all of it, appends included: nothing lost, nothing posted twice.
const FAULTS = { failBeforeRate: 0.1, failAfterRate: 0.1, floodWaitRate: 0.05, floodWaitMs: 2 };
const RETRY = { maxAttempts: 20, baseDelayMs: 1, maxDelayMs: 4 };

let seed = 1;
function wrap(
  inner: MessageStore,
  cleanup: () => Promise<void>,
): StoreFixture & { faulty: FaultInjectingStore } {
  const faulty = new FaultInjectingStore(inner, { seed: seed++, ...FAULTS });
  return { store: new RetryingStore(faulty, RETRY), faulty, cleanup };
}

async function localInner(): Promise<{ inner: LocalMessageStore; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-faulty-store-'));
  const inner = await LocalMessageStore.open(join(dir, 'store'), { durable: false });
  return { inner, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

storeContract('memory behind faults and retries', async () => wrap(new MemoryMessageStore(), async () => {}));

storeContract('local behind faults and retries', async () => {
  const { inner, cleanup } = await localInner();
  return wrap(inner, cleanup);
});

for (const [name, make] of [
  ['memory', async () => ({ inner: new MemoryMessageStore() as MessageStore, cleanup: async () => {} })],
  ['local', localInner],
] as const) {
  test(`${name}: appends whose replies were lost are neither lost nor duplicated by the retrying store`, async () => {
    const { inner, cleanup } = await make();
    const fx = wrap(inner, cleanup);
    try {
      const ids = [];
      for (let i = 0; i < 60; i++) ids.push(await fx.store.append(`tgfs:test:${i}`, Uint8Array.of(i)));
      const lostReplies = fx.faulty.faults.filter((f) => f.method === 'append' && f.kind === 'after').length;
      assert.ok(lostReplies > 0, 'the seed injected no lost append reply; the test proves nothing');
      assert.ok(
        fx.faulty.faults.some((f) => f.kind === 'flood-wait'),
        'no flood wait injected',
      );
      const listed = await inner.list(0, 1000);
      assert.deepEqual(
        listed.map((m) => m.caption),
        ids.map((_, i) => `tgfs:test:${i}`),
      );
      assert.deepEqual(
        listed.map((m) => m.id),
        ids,
      );
    } finally {
      await fx.store.close();
      await fx.cleanup();
    }
  });
}
