import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isTgfsError } from '../../../../src/errors.js';
import { formatCaption } from '../../../../src/transport/store/captions.js';
import type {
  MessageId,
  MessageStore,
  StoredMessage,
} from '../../../../src/transport/store/message-store.js';

export interface StoreFixture {
  readonly store: MessageStore;
  cleanup(): Promise<void>;
}

const NS = '0123456789abcdef0123456789abcdef';

function caption(n: number): string {
  return formatCaption({ namespace: NS, type: 'chunk', id: `obj-${n}` });
}

async function listAll(store: MessageStore, pageSize: number): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  let after = 0;
  for (;;) {
    const page = await store.list(after, pageSize);
    if (page.length === 0) return out;
    assert.ok(page.length <= pageSize, `a page of ${page.length} exceeds the limit ${pageSize}`);
    out.push(...page);
    after = page[page.length - 1]!.id;
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTgfsError(err), `expected a TgfsError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/**
 * The behaviour every `MessageStore` adapter owes its callers (message-store.ts), as one suite run per adapter.
 * `factory` returns a fresh, empty store.
 */
export function storeContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`MessageStore contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: MessageStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await store.close();
      await fx.cleanup();
    });

    test('an empty store lists nothing', async () => {
      assert.deepEqual(await store.list(0), []);
    });

    test('append returns ascending ids and list returns the messages in id order', async () => {
      const ids: MessageId[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.append(caption(i), Uint8Array.of(i)));
      for (let i = 1; i < ids.length; i++)
        assert.ok(ids[i]! > ids[i - 1]!, `ids ${ids.join(',')} not ascending`);
      const listed = await store.list(0);
      assert.deepEqual(
        listed.map((m) => m.id),
        ids,
      );
      assert.deepEqual(
        listed.map((m) => m.caption),
        [0, 1, 2, 3, 4].map(caption),
      );
      assert.ok(listed.every((m) => m.sizeBytes === 1 && Number.isFinite(m.dateMs) && m.dateMs > 0));
    });

    test('paging with afterId and limit returns every message exactly once, in order', async () => {
      const ids: MessageId[] = [];
      for (let i = 0; i < 23; i++) ids.push(await store.append(caption(i), new Uint8Array(i)));
      for (const pageSize of [1, 4, 7, 100]) {
        const all = await listAll(store, pageSize);
        assert.deepEqual(
          all.map((m) => m.id),
          ids,
          `page size ${pageSize}`,
        );
        assert.deepEqual(
          all.map((m) => m.sizeBytes),
          ids.map((_, i) => i),
        );
      }
      const tail = await store.list(ids[19]!, 100);
      assert.deepEqual(
        tail.map((m) => m.id),
        ids.slice(20),
      );
      assert.deepEqual(await store.list(ids[22]!, 10), []);
    });

    test('list without a limit returns at most 100 messages', async () => {
      for (let i = 0; i < 105; i++) await store.append(caption(i), new Uint8Array(0));
      const page = await store.list(0);
      assert.equal(page.length, 100);
      assert.equal((await store.list(page[99]!.id)).length, 5);
    });

    test('read returns the whole message or the requested byte range', async () => {
      const bytes = randomBytes(1000);
      const id = await store.append(caption(1), bytes);
      assert.deepEqual(await store.read(id), new Uint8Array(bytes));
      assert.deepEqual(
        await store.read(id, { offset: 0, length: 10 }),
        new Uint8Array(bytes.subarray(0, 10)),
      );
      assert.deepEqual(
        await store.read(id, { offset: 400, length: 123 }),
        new Uint8Array(bytes.subarray(400, 523)),
      );
      assert.deepEqual(
        await store.read(id, { offset: 990, length: 10 }),
        new Uint8Array(bytes.subarray(990)),
      );
      assert.deepEqual(await store.read(id, { offset: 500, length: 0 }), new Uint8Array(0));
      assert.deepEqual(await store.read(id, { offset: 1000, length: 0 }), new Uint8Array(0));
    });

    test('a range running past the end is cut at the end', async () => {
      const bytes = randomBytes(100);
      const id = await store.append(caption(1), bytes);
      assert.deepEqual(await store.read(id, { offset: 90, length: 50 }), new Uint8Array(bytes.subarray(90)));
      assert.deepEqual(await store.read(id, { offset: 200, length: 5 }), new Uint8Array(0));
    });

    test('an empty message and a several-MiB message round-trip', async () => {
      const empty = await store.append(caption(0), new Uint8Array(0));
      const big = randomBytes(5 * 1024 * 1024 + 17);
      const bigId = await store.append(caption(1), big);
      assert.deepEqual(await store.read(empty), new Uint8Array(0));
      assert.ok(Buffer.from(await store.read(bigId)).equals(big), 'big message differs');
      const mid = 3 * 1024 * 1024;
      assert.ok(
        Buffer.from(await store.read(bigId, { offset: mid, length: 65536 })).equals(
          big.subarray(mid, mid + 65536),
        ),
      );
      const listed = await store.list(0);
      assert.deepEqual(
        listed.map((m) => m.sizeBytes),
        [0, big.length],
      );
    });

    test('stored bytes do not change when the caller reuses its buffer', async () => {
      const bytes = Uint8Array.of(1, 2, 3);
      const id = await store.append(caption(1), bytes);
      bytes[0] = 9;
      const back = await store.read(id);
      assert.deepEqual(back, Uint8Array.of(1, 2, 3));
      back[1] = 9;
      assert.deepEqual(await store.read(id), Uint8Array.of(1, 2, 3));
    });

    test('captions round-trip, including foreign and non-ASCII ones up to 1024 characters', async () => {
      const captions = [
        caption(7),
        formatCaption({ namespace: NS, type: 'manifest', id: 'm'.repeat(128) }),
        '',
        'a note someone left: ünïcødé ✓ 🙂',
        '😀'.repeat(512),
        'x'.repeat(1024),
      ];
      const ids: MessageId[] = [];
      for (const c of captions) ids.push(await store.append(c, Uint8Array.of(1)));
      const listed = await store.list(0);
      assert.deepEqual(
        listed.map((m) => m.caption),
        captions,
      );
    });

    test('a caption over 1024 characters is refused with INVALID_ARGUMENT', async () => {
      await rejectsWith(store.append('x'.repeat(1025), Uint8Array.of(1)), 'INVALID_ARGUMENT');
      assert.deepEqual(await store.list(0), []);
    });

    test('reading a missing or deleted id fails with STORE_OBJECT_MISSING', async () => {
      const a = await store.append(caption(1), Uint8Array.of(1));
      const b = await store.append(caption(2), Uint8Array.of(2));
      await rejectsWith(store.read(b + 1000), 'STORE_OBJECT_MISSING');
      await rejectsWith(store.read(0), 'STORE_OBJECT_MISSING');
      await store.delete([a]);
      await rejectsWith(store.read(a), 'STORE_OBJECT_MISSING');
      await rejectsWith(store.read(a, { offset: 0, length: 1 }), 'STORE_OBJECT_MISSING');
      assert.deepEqual(await store.read(b), Uint8Array.of(2));
    });

    test('deleted messages are not listed, and delete is idempotent', async () => {
      const ids: MessageId[] = [];
      for (let i = 0; i < 6; i++) ids.push(await store.append(caption(i), Uint8Array.of(i)));
      await store.delete([ids[1]!, ids[4]!]);
      await store.delete([ids[1]!, ids[4]!, ids[5]! + 1000]);
      await store.delete([]);
      const expected = [ids[0], ids[2], ids[3], ids[5]];
      assert.deepEqual(
        (await listAll(store, 2)).map((m) => m.id),
        expected,
      );
      assert.deepEqual(
        (await store.list(ids[0]!, 1)).map((m) => m.id),
        [ids[2]],
      );
    });

    test('ids are never reused, even after the newest message is deleted', async () => {
      const a = await store.append(caption(1), Uint8Array.of(1));
      const b = await store.append(caption(2), Uint8Array.of(2));
      await store.delete([b]);
      const c = await store.append(caption(3), Uint8Array.of(3));
      assert.ok(c > b, `id ${c} reused or went back after deleting ${b}`);
      assert.deepEqual(
        (await store.list(0)).map((m) => m.id),
        [a, c],
      );
      await rejectsWith(store.read(b), 'STORE_OBJECT_MISSING');
    });

    test('concurrent appends from one process all land with distinct ids', async () => {
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.append(caption(i), Uint8Array.of(i))),
      );
      assert.equal(new Set(ids).size, 20);
      const listed = await listAll(store, 7);
      assert.deepEqual(
        listed.map((m) => m.id),
        [...ids].sort((x, y) => x - y),
      );
      for (let i = 0; i < 20; i++) assert.deepEqual(await store.read(ids[i]!), Uint8Array.of(i));
    });
  });
}
