import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetryingStore } from '../../../../../src/transport/store/retrying-store.js';
import { TelegramMessageStore } from '../../../../../src/transport/store/telegram/telegram-store.js';
import { FakeTelegramClient } from '../../../../helpers/fake-telegram-client.js';
import { storeContract } from '../store-contract.js';

storeContract('telegram(fake)', async () => {
  const client = new FakeTelegramClient();
  await client.connect();
  return { store: new TelegramMessageStore(client), cleanup: async () => {} };
});

// 20% of requests fail (half after taking effect) and 5% hit FLOOD_WAIT / FLOOD_PREMIUM_WAIT; the adapter waits
// out the floods and RetryingStore retries the rest: nothing lost, nothing posted twice.
const FAULTS = { dropRate: 0.1, dropAfterRate: 0.1, floodWaitRate: 0.05, floodWaitSeconds: 1 };
const RETRY = { maxAttempts: 30, baseDelayMs: 0, maxDelayMs: 0 };
const instant = async (): Promise<void> => {};

let seed = 1;
storeContract('telegram(fake) behind 20% faults, flood waits and retries', async () => {
  const client = new FakeTelegramClient({ seed: seed++, ...FAULTS });
  await client.connect();
  const inner = new TelegramMessageStore(client, { sleep: instant });
  return { store: new RetryingStore(inner, { ...RETRY, sleep: instant }), cleanup: async () => {} };
});

test('telegram(fake): appends whose replies were lost are neither lost nor duplicated', async () => {
  const client = new FakeTelegramClient({ seed: 42, ...FAULTS });
  await client.connect();
  const waits: number[] = [];
  const store = new RetryingStore(
    new TelegramMessageStore(client, { sleep: async (ms) => void waits.push(ms) }),
    { ...RETRY, sleep: instant },
  );
  const ns = '0123456789abcdef0123456789abcdef';
  const ids: number[] = [];
  for (let i = 0; i < 60; i++) ids.push(await store.append(`tgfs:${ns}:op:batch-${i}`, Uint8Array.of(i)));
  assert.ok(
    client.injected.some((f) => f.method === 'sendFile' && f.fault.kind === 'drop-after'),
    'no lost sendFile reply injected; the test proves nothing',
  );
  assert.ok(
    client.injected.some((f) => f.fault.kind === 'flood-wait'),
    'no flood wait injected',
  );
  assert.ok(waits.includes(1000), 'a 1 s flood wait was not waited out');
  client.setFaultsEnabled(false);
  const listed = await store.list(0, 1000);
  assert.deepEqual(
    listed.map((m) => m.caption),
    ids.map((_, i) => `tgfs:${ns}:op:batch-${i}`),
  );
  assert.deepEqual(
    listed.map((m) => m.id),
    ids,
  );
  await store.close();
});
