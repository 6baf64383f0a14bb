import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isTgfsError } from '../../../../../src/errors.js';
import { formatCaption } from '../../../../../src/transport/store/captions.js';
import { StoreUnavailableError } from '../../../../../src/transport/store/store-unavailable-error.js';
import {
  MAX_DOCUMENT_BYTES,
  TelegramMessageStore,
  type TelegramStoreOptions,
} from '../../../../../src/transport/store/telegram/telegram-store.js';
import { FakeTelegramClient, type FakeTelegramOptions } from '../../../../helpers/fake-telegram-client.js';

const NS = '0123456789abcdef0123456789abcdef';
const MIB = 1024 * 1024;
const cap = (id: string) => formatCaption({ namespace: NS, type: 'chunk', id });

async function open(fake: FakeTelegramOptions = {}, options: TelegramStoreOptions = {}) {
  const client = new FakeTelegramClient(fake);
  await client.connect();
  const sleeps: number[] = [];
  const store = new TelegramMessageStore(client, { sleep: async (ms) => void sleeps.push(ms), ...options });
  return { client, store, sleeps };
}

function rejectsWithCode(promise: Promise<unknown>, code: string, check?: (err: Error) => void) {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(isTgfsError(err), `expected TgfsError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    check?.(err);
    return true;
  });
}

describe('telegram store: flood waits', () => {
  for (const premium of [false, true]) {
    test(`FLOOD_${premium ? 'PREMIUM_' : ''}WAIT is waited out on every method, never surfaced`, async () => {
      const seen: number[] = [];
      let waitDuringSleep = -1;
      const { client, store, sleeps } = await open(
        {},
        {
          onWait: (s) => void seen.push(s),
          now: () => 1_000_000,
          sleep: async (ms) => {
            sleeps.push(ms);
            waitDuringSleep = store.currentWait;
          },
        },
      );
      for (const method of [
        'saveFilePart',
        'sendFile',
        'getMessages',
        'getFile',
        'deleteMessages',
      ] as const) {
        client.inject(method, { kind: 'flood-wait', seconds: 3, premium });
      }
      const id = await store.append(cap('a'), Uint8Array.of(1, 2, 3));
      assert.deepEqual(
        (await store.list(0)).map((m) => m.id),
        [id],
      );
      assert.deepEqual(await store.read(id), Uint8Array.of(1, 2, 3));
      await store.delete([id]);
      assert.deepEqual(await store.list(0), []);
      assert.equal(client.injected.length, 5);
      // getMessages is hit twice: by read's lookup (flooded) and by list.
      assert.deepEqual(sleeps, [3000, 3000, 3000, 3000, 3000]);
      assert.deepEqual(seen, [3, 3, 3, 3, 3]);
      assert.equal(waitDuringSleep, 3, 'currentWait did not show the wait in progress');
      assert.equal(store.currentWait, 0);
      assert.equal(client.messageCount, 0);
    });
  }

  test('a flood wait longer than the cap is STORE_UNAVAILABLE with retryAfterMs, and posts nothing', async () => {
    const { client, store, sleeps } = await open({}, { maxFloodWaitMs: 60_000 });
    client.inject('sendFile', { kind: 'flood-wait', seconds: 7200 });
    await rejectsWithCode(store.append(cap('a'), Uint8Array.of(1)), 'STORE_UNAVAILABLE', (err) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.equal(err.retryAfterMs, 7_200_000);
      assert.equal(err.notApplied, true);
    });
    assert.deepEqual(sleeps, []);
    assert.equal(client.messageCount, 0);
  });
});

describe('telegram store: connection and session failures', () => {
  test('a dropped connection is a transient STORE_UNAVAILABLE', async () => {
    const { client, store } = await open();
    client.inject('getMessages', { kind: 'drop' });
    await rejectsWithCode(store.list(0), 'STORE_UNAVAILABLE');
    client.inject('deleteMessages', { kind: 'drop' });
    await rejectsWithCode(store.delete([1]), 'STORE_UNAVAILABLE');
    assert.deepEqual(await store.list(0), []);
  });

  test('a dropped part upload is re-sent; a persistently failing one is STORE_UNAVAILABLE known not posted', async () => {
    const { client, store } = await open();
    client.inject('saveFilePart', { kind: 'drop' });
    const id = await store.append(cap('a'), Uint8Array.of(7));
    assert.deepEqual(await store.read(id), Uint8Array.of(7));
    for (let i = 0; i < 4; i++) client.inject('saveFilePart', { kind: 'drop' });
    await rejectsWithCode(store.append(cap('b'), Uint8Array.of(8)), 'STORE_UNAVAILABLE', (err) => {
      assert.ok(err instanceof StoreUnavailableError && err.notApplied);
    });
    assert.equal(client.messageCount, 1);
  });

  for (const [how, revoke] of [
    ['revoked from another device', (c: FakeTelegramClient) => c.revokeSession()],
    [
      'SESSION_REVOKED',
      (c: FakeTelegramClient) =>
        c.inject('getMessages', { kind: 'rpc', code: 401, message: 'SESSION_REVOKED' }),
    ],
  ] as const) {
    test(`a dead session (${how}) is a permanent error telling the user to log in again`, async () => {
      const { client, store } = await open();
      revoke(client);
      await rejectsWithCode(store.list(0), 'TELEGRAM_LOGIN_REQUIRED', (err) => {
        assert.match(err.message, /tgcryptfs telegram login/);
      });
    });
  }
});

describe('telegram store: idempotent appends', () => {
  test('retrying an append whose reply was lost returns the posted message instead of posting twice', async () => {
    const { client, store } = await open();
    client.inject('sendFile', { kind: 'drop-after' });
    await rejectsWithCode(store.append(cap('x'), Uint8Array.of(1, 2)), 'STORE_UNAVAILABLE', (err) => {
      assert.ok(err instanceof StoreUnavailableError && !err.notApplied, 'a lost reply must be ambiguous');
    });
    assert.equal(client.messageCount, 1);
    const id = await store.append(cap('x'), Uint8Array.of(1, 2));
    assert.equal(client.messageCount, 1);
    assert.equal(client.requests.filter((r) => r.method === 'sendFile').length, 1);
    assert.deepEqual(await store.read(id), Uint8Array.of(1, 2));
  });

  test('retrying an append that never reached Telegram posts it exactly once', async () => {
    const { client, store } = await open();
    client.inject('sendFile', { kind: 'drop' });
    await rejectsWithCode(store.append(cap('y'), Uint8Array.of(3)), 'STORE_UNAVAILABLE');
    assert.equal(client.messageCount, 0);
    const id = await store.append(cap('y'), Uint8Array.of(3));
    assert.equal(client.messageCount, 1);
    assert.deepEqual(
      (await store.list(0)).map((m) => [m.id, m.caption]),
      [[id, cap('y')]],
    );
  });
});

describe('telegram store: downloads', () => {
  test('an expired file reference is refreshed by fetching the message again', async () => {
    const { client, store } = await open();
    const bytes = randomBytes(3 * MIB + 5);
    const id = await store.append(cap('big'), bytes);
    client.expireFileReferencesAfter(1);
    const lookupsBefore = client.requests.filter((r) => r.method === 'getMessages').length;
    assert.ok(Buffer.from(await store.read(id)).equals(bytes));
    assert.equal(client.requests.filter((r) => r.method === 'getMessages').length, lookupsBefore + 2);
  });

  test('a truncated document is STORE_CORRUPT naming the message id', async () => {
    const { client, store } = await open();
    const bytes = randomBytes(2 * MIB);
    const id = await store.append(cap('t'), bytes);
    client.truncate(id, MIB + 100);
    await rejectsWithCode(store.read(id), 'STORE_CORRUPT', (err) => {
      assert.match(err.message, new RegExp(`message ${id} is truncated`));
    });
    await rejectsWithCode(store.read(id, { offset: 2 * MIB - 10, length: 5 }), 'STORE_CORRUPT');
    // The bytes before the cut are still served.
    assert.ok(
      Buffer.from(await store.read(id, { offset: 10, length: 1000 })).equals(bytes.subarray(10, 1010)),
    );
  });

  test('a forged document is passed on as served: telling it apart is the content layer’s AEAD job', async () => {
    const { client, store } = await open();
    const id = await store.append(cap('f'), Uint8Array.of(1, 2, 3));
    client.forge(id, Uint8Array.of(9, 9, 9));
    assert.deepEqual(await store.read(id), Uint8Array.of(9, 9, 9));
  });

  test('ranged reads at any offset and length, across 1 MiB boundaries, return exactly those bytes', async () => {
    const { client, store } = await open();
    const size = 3 * MIB + 12345;
    const bytes = randomBytes(size);
    const id = await store.append(cap('r'), bytes);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: size + 10 }), fc.constantFrom(MIB - 1, MIB, 2 * MIB - 3, 3 * MIB)),
        fc.oneof(fc.integer({ min: 0, max: 2 * MIB + 10 }), fc.integer({ min: 0, max: 9000 })),
        async (offset, length) => {
          const before = client.requests.length;
          const got = await store.read(id, { offset, length });
          const start = Math.min(offset, size);
          assert.ok(Buffer.from(got).equals(bytes.subarray(start, Math.min(start + length, size))));
          const pieces = client.requests.slice(before).filter((r) => r.method === 'getFile');
          const spanned = Math.max(0, Math.min(start + length, size) - start);
          // Nothing downloaded for an empty range; at most the covering MiBs plus alignment slack otherwise.
          assert.ok(
            pieces.length <= (spanned === 0 ? 0 : Math.ceil(spanned / MIB) + 20),
            `${pieces.length} pieces`,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('telegram store: uploads and listing', () => {
  test('a document above 10 MiB goes up as a big file in 512 KiB parts and round-trips', async () => {
    const { client, store } = await open();
    const bytes = randomBytes(11 * MIB + 3);
    const id = await store.append(cap('huge'), bytes);
    const parts = client.requests.filter((r) => r.method === 'saveFilePart');
    assert.equal(parts.length, 23);
    assert.ok(parts.every((p) => (p.bytes ?? 0) <= 512 * 1024));
    assert.ok(Buffer.from(await store.read(id)).equals(bytes));
    assert.equal((await store.list(0))[0]?.sizeBytes, bytes.length);
  });

  test('a message above the document limit is refused with INVALID_ARGUMENT before uploading', async () => {
    assert.equal(MAX_DOCUMENT_BYTES, 4000 * 512 * 1024);
    const { client, store } = await open({}, { maxDocumentBytes: MIB });
    await rejectsWithCode(store.append(cap('big'), new Uint8Array(MIB + 1)), 'INVALID_ARGUMENT');
    assert.equal(client.requests.length, 0);
    await store.append(cap('ok'), new Uint8Array(MIB));
  });

  test('captions with Markdown characters are posted verbatim', async () => {
    const { store } = await open();
    const captions = [cap('a__b__c'), 'tgfs **bold** `code` [x](y) _i_'];
    for (const c of captions) await store.append(c, Uint8Array.of(1));
    assert.deepEqual(
      (await store.list(0)).map((m) => m.caption),
      captions,
    );
  });

  test("the user's own messages in Saved Messages are skipped, documents with tgfs captions are not", async () => {
    const { client, store } = await open();
    const a = await store.append(cap('a'), Uint8Array.of(1));
    const note = client.addForeignMessage('buy milk');
    const photo = client.addForeignMessage('holiday', { fileName: 'beach.jpg', bytes: Uint8Array.of(1, 2) });
    for (let i = 0; i < 150; i++) client.addForeignMessage(`note ${i}`);
    const forwarded = client.addForeignMessage(cap('fwd'), { fileName: 'x.bin', bytes: Uint8Array.of(5) });
    const b = await store.append(cap('b'), Uint8Array.of(2));
    assert.deepEqual(
      (await store.list(0)).map((m) => m.id),
      [a, forwarded, b],
    );
    assert.deepEqual(
      (await store.list(a, 1)).map((m) => m.id),
      [forwarded],
    );
    await rejectsWithCode(store.read(note), 'STORE_OBJECT_MISSING');
    await rejectsWithCode(store.read(photo), 'STORE_OBJECT_MISSING');
    assert.deepEqual(await store.read(forwarded), Uint8Array.of(5));
  });

  test('every download request keeps to Telegram’s alignment rules (the fake refuses the rest)', async () => {
    const { client, store } = await open();
    const id = await store.append(cap('z'), randomBytes(2 * MIB + 1));
    await store.read(id, { offset: MIB - 7, length: 20 });
    const pieces = client.requests.filter((r) => r.method === 'getFile');
    assert.deepEqual(
      pieces.map((p) => [p.offset, p.limit]),
      [
        [MIB - 4096, 4096],
        [MIB, 4096],
      ],
    );
  });
});
