import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTgfsError } from '../../../../src/errors.js';
import { FaultInjectingStore } from '../../../../src/transport/store/fault-store.js';
import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';
import {
  isKnownNotApplied,
  retryAfterMsOf,
} from '../../../../src/transport/store/store-unavailable-error.js';

async function outcomes(seed: number): Promise<string[]> {
  const store = new FaultInjectingStore(new MemoryMessageStore(), {
    seed,
    failBeforeRate: 0.2,
    failAfterRate: 0.2,
    floodWaitRate: 0.1,
  });
  const out: string[] = [];
  for (let i = 0; i < 50; i++) {
    out.push(await store.append(`c${i}`, Uint8Array.of(i)).then(String, (e: Error) => e.message));
  }
  return out;
}

test('the same seed injects the same faults', async () => {
  assert.deepEqual(await outcomes(42), await outcomes(42));
  assert.notDeepEqual(await outcomes(42), await outcomes(43));
});

test('a fault before the call leaves the store untouched; a fault after it loses only the reply', async () => {
  const inner = new MemoryMessageStore();
  const before = new FaultInjectingStore(inner, { seed: 1, failBeforeRate: 1 });
  await assert.rejects(before.append('a', Uint8Array.of(1)), (e: unknown) =>
    isTgfsError(e, 'STORE_UNAVAILABLE'),
  );
  assert.deepEqual(await inner.list(0), []);

  const after = new FaultInjectingStore(inner, { seed: 1, failAfterRate: 1 });
  await assert.rejects(after.append('b', Uint8Array.of(2)), (e: unknown) =>
    isTgfsError(e, 'STORE_UNAVAILABLE'),
  );
  assert.deepEqual(
    (await inner.list(0)).map((m) => m.caption),
    ['b'],
  );
  await assert.rejects(after.delete([1]));
  await assert.rejects(inner.read(1), (e: unknown) => isTgfsError(e, 'STORE_OBJECT_MISSING'));
  assert.deepEqual(
    after.faults.map((f) => f.kind),
    ['after', 'after'],
  );
});

test('a flood wait says how long to wait and that nothing was done', async () => {
  const inner = new MemoryMessageStore();
  const store = new FaultInjectingStore(inner, { seed: 1, floodWaitRate: 1, floodWaitMs: 1234 });
  const err = await store.append('a', Uint8Array.of(1)).catch((e: unknown) => e);
  assert.ok(isTgfsError(err, 'STORE_UNAVAILABLE'));
  assert.equal(retryAfterMsOf(err), 1234);
  assert.ok(isKnownNotApplied(err));
  assert.deepEqual(await inner.list(0), []);
});

test('disabled fault injection passes every call through', async () => {
  const store = new FaultInjectingStore(new MemoryMessageStore(), { seed: 1, failBeforeRate: 1 });
  store.setEnabled(false);
  assert.equal(await store.append('a', Uint8Array.of(1)), 1);
});
