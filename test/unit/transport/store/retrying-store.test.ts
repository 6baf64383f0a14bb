import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTgfsError, TgfsError } from '../../../../src/errors.js';
import { FaultInjectingStore } from '../../../../src/transport/store/fault-store.js';
import { findByCaption } from '../../../../src/transport/store/find-by-caption.js';
import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';
import type { MessageStore } from '../../../../src/transport/store/message-store.js';
import { RetryingStore } from '../../../../src/transport/store/retrying-store.js';
import { StoreUnavailableError } from '../../../../src/transport/store/store-unavailable-error.js';

/** A store whose read fails with the given errors in turn, then succeeds. */
function scripted(errors: Error[]): MessageStore & { calls: number } {
  const inner = new MemoryMessageStore();
  const store = {
    calls: 0,
    append: (c: string, b: Uint8Array) => inner.append(c, b),
    list: (a: number, l?: number) => inner.list(a, l),
    read: async () => {
      store.calls++;
      const err = errors.shift();
      if (err) throw err;
      return Uint8Array.of(42);
    },
    delete: (ids: readonly number[]) => inner.delete(ids),
    close: () => inner.close(),
  };
  return store;
}

function recordingSleep(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

test('transient failures are retried until the call succeeds, waiting as long as a flood wait asks', async () => {
  const inner = scripted([
    new StoreUnavailableError('dropped'),
    new StoreUnavailableError('flood', { retryAfterMs: 7000, notApplied: true }),
  ]);
  const { sleeps, sleep } = recordingSleep();
  const store = new RetryingStore(inner, { sleep, baseDelayMs: 10, random: () => 0 });
  assert.deepEqual(await store.read(1), Uint8Array.of(42));
  assert.equal(inner.calls, 3);
  assert.equal(sleeps.length, 2);
  assert.equal(sleeps[1], 7000);
});

test('permanent errors pass through at once', async () => {
  for (const code of ['STORE_OBJECT_MISSING', 'STORE_CORRUPT'] as const) {
    const inner = scripted([new TgfsError(code, 'gone')]);
    const { sleeps, sleep } = recordingSleep();
    const store = new RetryingStore(inner, { sleep });
    await assert.rejects(store.read(1), (e: unknown) => isTgfsError(e, code));
    assert.equal(inner.calls, 1);
    assert.deepEqual(sleeps, []);
  }
});

test('a flood wait longer than the limit is handed to the caller', async () => {
  const inner = scripted([new StoreUnavailableError('flood', { retryAfterMs: 3_600_000 })]);
  const store = new RetryingStore(inner, { sleep: recordingSleep().sleep, maxRetryAfterMs: 60_000 });
  await assert.rejects(store.read(1), (e: unknown) => isTgfsError(e, 'STORE_UNAVAILABLE'));
  assert.equal(inner.calls, 1);
});

test('after maxAttempts the store gives up with STORE_UNAVAILABLE saying how often it tried', async () => {
  const inner = scripted(Array.from({ length: 10 }, () => new StoreUnavailableError('down')));
  const store = new RetryingStore(inner, { sleep: recordingSleep().sleep, maxAttempts: 3 });
  await assert.rejects(
    store.read(1),
    (e: unknown) => isTgfsError(e, 'STORE_UNAVAILABLE') && e.message.includes('3 times'),
  );
  assert.equal(inner.calls, 3);
});

test('an append whose reply was lost is found by caption instead of being posted again', async () => {
  const inner = new MemoryMessageStore();
  await inner.append('older', Uint8Array.of(0));
  let lostReplies = 0;
  // Posts, then loses the reply of the first two appends; lists pass.
  const flaky: MessageStore = {
    append: async (c, b) => {
      const id = await inner.append(c, b);
      if (lostReplies++ < 2) throw new StoreUnavailableError('connection reset after sending');
      return id;
    },
    list: (a, l) => inner.list(a, l),
    read: (id, r) => inner.read(id, r),
    delete: (ids) => inner.delete(ids),
    close: () => inner.close(),
  };
  const store = new RetryingStore(flaky, { sleep: recordingSleep().sleep });
  assert.equal(await store.append('tgfs:x', Uint8Array.of(1, 2)), 2);
  assert.deepEqual(
    (await inner.list(0)).map((m) => m.caption),
    ['older', 'tgfs:x'],
  );
  // Without the lookup the same failure posts the message twice: the behaviour above is the lookup's doing.
  lostReplies = 0;
  const blind = new RetryingStore(flaky, { sleep: recordingSleep().sleep, dedupeAppends: false });
  await blind.append('tgfs:y', Uint8Array.of(3));
  assert.equal((await inner.list(0)).filter((m) => m.caption === 'tgfs:y').length, 3);
});

test('an append refused by a flood wait is posted again without a lookup', async () => {
  const inner = new MemoryMessageStore();
  const faulty = new FaultInjectingStore(inner, { seed: 3, floodWaitRate: 0.5, floodWaitMs: 1 });
  const store = new RetryingStore(faulty, { sleep: recordingSleep().sleep, maxAttempts: 30 });
  for (let i = 0; i < 20; i++) await store.append(`c${i}`, Uint8Array.of(i));
  assert.ok(faulty.faults.some((f) => f.method === 'append'));
  assert.ok(!faulty.faults.some((f) => f.method === 'list'), 'a flood-waited append needs no lookup');
  assert.equal((await inner.list(0)).length, 20);
});

test('findByCaption finds the first match after an id, across pages, or nothing', async () => {
  const store = new MemoryMessageStore();
  for (let i = 0; i < 30; i++) await store.append(`c${i % 10}`, new Uint8Array(i));
  assert.equal((await findByCaption(store, 'c3', 0, { pageSize: 4 }))?.id, 4);
  assert.equal((await findByCaption(store, 'c3', 4, { pageSize: 4 }))?.id, 14);
  assert.equal((await findByCaption(store, 'c3', 0, { sizeBytes: 23 }))?.id, 24);
  assert.equal(await findByCaption(store, 'c3', 24), undefined);
  assert.equal(await findByCaption(store, 'nope', 0), undefined);
});
