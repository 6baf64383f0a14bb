import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isTgfsError, TgfsError } from '../../../../src/errors.js';
import type { Extent } from '../../../../src/events/types.js';
import { openChunk } from '../../../../src/transport/content/content-seal.js';
import { decodePackIndex } from '../../../../src/transport/content/pack.js';
import { parseCaption } from '../../../../src/transport/store/captions.js';
import type { MessageId } from '../../../../src/transport/store/message-store.js';
import { bytesBelow, CountingStore, newKeys, TamperingStore, TestHome } from './content-fixtures.js';

async function readAll(
  cs: { readRange(e: readonly Extent[], o: number, l: number): Promise<Uint8Array> },
  extents: Extent[],
) {
  return Buffer.from(await cs.readRange(extents, 0, Number.MAX_SAFE_INTEGER));
}

describe('ChunkStore: packs in the store', () => {
  const homes: TestHome[] = [];
  const newHome = async () => {
    const h = await TestHome.create();
    homes.push(h);
    return h;
  };
  after(async () => {
    for (const h of homes) await h.dispose();
  });

  test('flush uploads staged chunks as packs captioned tgfs:{ns}:chunk:{packId}, then staging is empty', async () => {
    const keys = newKeys();
    const store = new CountingStore();
    const home = await newHome();
    const cs = await home.openChunkStore(keys, store);
    const extents = await cs.putFile(randomBytes(30_000));
    await cs.putFile(randomBytes(500));
    const pending = await cs.pendingChunks();
    assert.deepEqual(await cs.flushToStore(), { packs: 1, chunks: pending });
    assert.equal(await cs.pendingChunks(), 0);
    assert.deepEqual(await readdir(join(home.cacheDir(keys.ns), 'staging')), []);
    const msgs = await store.list(0);
    assert.equal(msgs.length, 1);
    const caption = parseCaption(msgs[0]!.caption)!;
    assert.equal(caption.namespace, keys.ns);
    assert.equal(caption.type, 'chunk');
    assert.match(caption.id, /^[0-9a-f]{32}$/);
    const entries = decodePackIndex(await store.read(msgs[0]!.id), keys.dataKey, keys.ns, caption.id);
    assert.equal(entries.length, pending);
    assert.equal(extents.length > 0, true);
    assert.deepEqual(await cs.flushToStore(), { packs: 0, chunks: 0 });
  });

  test('many chunks are split into packs of about the target size', async () => {
    const store = new CountingStore();
    const cs = await (await newHome()).openChunkStore(newKeys(), store, { packTargetBytes: 64 * 1024 });
    const content = randomBytes(400_000);
    const extents = await cs.putFile(content);
    const { packs } = await cs.flushToStore();
    assert.ok(packs >= 5 && packs <= 9, `${packs} packs`);
    assert.equal(store.appends, packs);
    assert.ok((await readAll(cs, extents)).equals(content));
  });

  test('a home rebuilt from the store alone reads every file back byte-identical', async () => {
    const keys = newKeys();
    const store = new CountingStore();
    const cs = await (await newHome()).openChunkStore(keys, store, { packTargetBytes: 100 * 1024 });
    const files = [randomBytes(300_000), randomBytes(10), randomBytes(70_000), randomBytes(4000)];
    const extents: Extent[][] = [];
    for (const f of files) extents.push(await cs.putFile(f));
    await cs.flushToStore();
    // Unrelated messages (other namespaces, other types, foreign captions) are skipped.
    await store.append(`tgfs:${'f'.repeat(32)}:chunk:abc`, randomBytes(100));
    await store.append(`tgfs:${keys.ns}:op:abc`, randomBytes(100));
    await store.append('holiday photo', randomBytes(100));

    const fresh = await (await newHome()).openChunkStore(keys, store);
    const result = await fresh.rebuildIndexFromStore();
    assert.deepEqual(result.failed, []);
    assert.ok(result.packs >= 2);
    assert.equal(result.lastId, (await store.list(0)).at(-1)!.id);
    for (const [i, f] of files.entries()) assert.ok((await readAll(fresh, extents[i]!)).equals(f));
  });

  test('a tampered chunk in the store is CHUNK_AUTH_FAILED naming chunk, namespace and message; others still read', async () => {
    const keys = newKeys();
    const store = new TamperingStore();
    const cs = await (await newHome()).openChunkStore(keys, store);
    const a = await cs.putFile(randomBytes(20_000));
    const bContent = randomBytes(20_000);
    const b = await cs.putFile(bContent);
    await cs.flushToStore();
    const msg = (await store.list(0))[0]!;
    const packId = parseCaption(msg.caption)!.id;
    const entries = decodePackIndex(await store.read(msg.id), keys.dataKey, keys.ns, packId);
    const victim = entries.find((e) => e.chunkId === a[0]!.chunkId)!;
    store.flip(msg.id, victim.offset + 100);

    const fresh = await (await newHome()).openChunkStore(keys, store);
    assert.deepEqual((await fresh.rebuildIndexFromStore()).failed, []);
    await assert.rejects(
      fresh.read(a[0]!),
      (e) =>
        isTgfsError(e, 'CHUNK_AUTH_FAILED') &&
        e.message.includes(victim.chunkId) &&
        e.message.includes(keys.ns) &&
        e.message.includes(`message ${msg.id}`),
    );
    // Still failing on a second try: the bad copy was not cached.
    await assert.rejects(fresh.read(a[0]!), (e) => isTgfsError(e, 'CHUNK_AUTH_FAILED'));
    assert.ok((await readAll(fresh, b)).equals(bContent));
    // Nothing stored was changed or overwritten: the original message still holds the good chunk.
    assert.equal((await store.list(0)).length, 1);
    const original = await store.inner.read(msg.id, { offset: victim.offset, length: victim.lengthBytes });
    assert.doesNotThrow(() => openChunk(keys.dataKey, keys.ns, victim.chunkId, original, 'original'));
  });

  test('writing the content of a damaged chunk again heals it, even when the damaged pack is indexed again', async () => {
    const keys = newKeys();
    const store = new TamperingStore();
    const cs = await (await newHome()).openChunkStore(keys, store);
    const content = randomBytes(20_000);
    const extents = await cs.putFile(content);
    await cs.flushToStore();
    const msg = (await store.list(0))[0]!;
    const packId = parseCaption(msg.caption)!.id;
    const entries = decodePackIndex(await store.read(msg.id), keys.dataKey, keys.ns, packId);
    store.flip(msg.id, entries[0]!.offset + 100);

    const fresh = await (await newHome()).openChunkStore(keys, store);
    await fresh.rebuildIndexFromStore();
    await assert.rejects(readAll(fresh, extents), (e) => isTgfsError(e, 'CHUNK_AUTH_FAILED'));
    // The same bytes written again are staged anew instead of deduplicated against the damaged copy…
    const again = await fresh.putFile(content);
    assert.deepEqual(again, extents);
    // …and a pull or rebuild that lists the damaged pack again neither points readers back at it nor
    // unstages the good copy before it is uploaded.
    await fresh.rebuildIndexFromStore();
    assert.ok((await readAll(fresh, extents)).equals(content));
    await fresh.flushToStore();
    assert.ok((await readAll(fresh, extents)).equals(content));
    assert.equal((await store.list(0)).length, 2, 'the good copy went up in a new pack');
  });

  test('a pack whose header was tampered with is reported by the rebuild, the others are indexed', async () => {
    const keys = newKeys();
    const store = new TamperingStore();
    const cs = await (await newHome()).openChunkStore(keys, store);
    const first = await cs.putFile(randomBytes(5000));
    await cs.flushToStore();
    const secondContent = randomBytes(5000);
    const second = await cs.putFile(secondContent);
    await cs.flushToStore();
    const [m1] = await store.list(0);
    store.flip(m1!.id, 40);
    const fresh = await (await newHome()).openChunkStore(keys, store);
    const result = await fresh.rebuildIndexFromStore();
    assert.equal(result.packs, 1);
    assert.deepEqual(
      result.failed.map((f) => [f.messageId, f.code]),
      [[m1!.id, 'CHUNK_AUTH_FAILED']],
    );
    await assert.rejects(fresh.read(first[0]!), (e) => isTgfsError(e, 'CHUNK_MISSING'));
    assert.ok((await readAll(fresh, second)).equals(secondContent));
  });

  test('flush retried after a lost append reply records the landed pack and posts no duplicate', async () => {
    const keys = newKeys();
    const inner = new CountingStore();
    let loseReply = true;
    const store = new (class extends CountingStore {
      override async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
        const id = await super.append(caption, bytes);
        if (loseReply) throw new TgfsError('STORE_UNAVAILABLE', 'connection dropped after send');
        return id;
      }
    })(inner);
    const cs = await (await newHome()).openChunkStore(keys, store);
    const content = randomBytes(40_000);
    const extents = await cs.putFile(content);
    const pending = await cs.pendingChunks();
    await assert.rejects(cs.flushToStore(), (e) => isTgfsError(e, 'STORE_UNAVAILABLE'));
    assert.equal((await inner.list(0)).length, 1);
    loseReply = false;
    assert.deepEqual(await cs.flushToStore(), { packs: 1, chunks: pending });
    assert.equal((await inner.list(0)).length, 1);
    assert.equal(await cs.pendingChunks(), 0);
    const fresh = await (await newHome()).openChunkStore(keys, inner, { maxCacheBytes: 0 });
    await fresh.rebuildIndexFromStore();
    assert.ok((await readAll(fresh, extents)).equals(content));
  });

  test('flush retried after an append that never landed posts the chunks again', async () => {
    const keys = newKeys();
    const inner = new CountingStore();
    let fail = true;
    const store = new (class extends CountingStore {
      override async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
        if (fail) throw new TgfsError('STORE_UNAVAILABLE', 'flood wait');
        return super.append(caption, bytes);
      }
    })(inner);
    const home = await newHome();
    const cs = await home.openChunkStore(keys, store);
    const content = randomBytes(40_000);
    const extents = await cs.putFile(content);
    await assert.rejects(cs.flushToStore());
    assert.equal((await inner.list(0)).length, 0);
    fail = false;
    // A restart in between: the flight record is in the index.
    await cs.close();
    const again = await home.openChunkStore(keys, store);
    const { packs } = await again.flushToStore();
    assert.equal(packs, 1);
    assert.equal((await inner.list(0)).length, 1);
    const fresh = await (await newHome()).openChunkStore(keys, inner);
    await fresh.rebuildIndexFromStore();
    assert.ok((await readAll(fresh, extents)).equals(content));
  });
  test('files put while flushes run are all uploaded and readable from a rebuilt home', async () => {
    const keys = newKeys();
    const store = new CountingStore();
    const home = await newHome();
    const cs = await home.openChunkStore(keys, store, { packTargetBytes: 48 * 1024 });
    const files = Array.from({ length: 12 }, (_, i) => randomBytes(5_000 + i * 9_000));
    const work: Promise<unknown>[] = [];
    const extents: Extent[][] = [];
    files.forEach((f, i) => {
      const put = cs.putFile(f).then((e) => {
        extents[i] = e;
        return e;
      });
      // Reads race with the flushes that move their chunks out of staging.
      work.push(put.then(async (e) => assert.ok((await readAll(cs, e)).equals(f))));
      if (i % 3 === 0) work.push(cs.flushToStore());
    });
    await Promise.all(work);
    await cs.flushToStore();
    assert.equal(await cs.pendingChunks(), 0);
    assert.deepEqual(await readdir(join(home.cacheDir(keys.ns), 'staging')), []);
    const fresh = await (await newHome()).openChunkStore(keys, store);
    assert.deepEqual((await fresh.rebuildIndexFromStore()).failed, []);
    for (const [i, f] of files.entries()) assert.ok((await readAll(fresh, extents[i]!)).equals(f));
  });
});

describe('ChunkStore: read cache', () => {
  let home: TestHome;
  let writerHome: TestHome;
  before(async () => {
    home = await TestHome.create();
    writerHome = await TestHome.create();
  });
  after(async () => {
    await home.dispose();
    await writerHome.dispose();
  });

  test('a re-read of a cached chunk does not touch the store', async () => {
    const keys = newKeys();
    const store = new CountingStore();
    const writer = await writerHome.openChunkStore(keys, store);
    const content = randomBytes(60_000);
    const extents = await writer.putFile(content);
    await writer.flushToStore();
    const reader = await home.openChunkStore(keys, store);
    await reader.rebuildIndexFromStore();
    const before = store.reads;
    assert.ok((await readAll(reader, extents)).equals(content));
    const fetched = store.reads - before;
    assert.equal(fetched, new Set(extents.map((e) => e.chunkId)).size);
    assert.ok((await readAll(reader, extents)).equals(content));
    assert.equal(store.reads - before, fetched);
    // Also across a restart of the chunk store.
    await reader.close();
    const reopened = await home.openChunkStore(keys, store);
    assert.ok((await readAll(reopened, extents)).equals(content));
    assert.equal(store.reads - before, fetched);
  });

  test('the cache stays within its bound', async () => {
    const keys = newKeys();
    const store = new CountingStore();
    const writer = await writerHome.openChunkStore(keys, store);
    const content = randomBytes(400_000);
    const extents = await writer.putFile(content);
    await writer.flushToStore();
    const bound = 100_000;
    const h = await TestHome.create();
    try {
      const reader = await h.openChunkStore(keys, store, { maxCacheBytes: bound });
      await reader.rebuildIndexFromStore();
      assert.ok((await readAll(reader, extents)).equals(content));
      const used = await bytesBelow(join(h.cacheDir(keys.ns), 'cache'));
      assert.ok(used <= bound, `cache holds ${used} bytes`);
      assert.ok(used > bound / 2, `cache holds only ${used} bytes`);
      // A smaller bound on reopen evicts down to it.
      await reader.close();
      await h.openChunkStore(keys, store, { maxCacheBytes: 20_000 });
      assert.ok((await bytesBelow(join(h.cacheDir(keys.ns), 'cache'))) <= 20_000);
    } finally {
      await h.dispose();
    }
  });

  test('staged chunks are never evicted, whatever the cache bound', async () => {
    const store = new CountingStore();
    const h = await TestHome.create();
    try {
      const cs = await h.openChunkStore(newKeys(), store, { maxCacheBytes: 0 });
      const files = [randomBytes(100_000), randomBytes(100_000)];
      const extents = [await cs.putFile(files[0]!), await cs.putFile(files[1]!)];
      for (const [i, f] of files.entries()) assert.ok((await readAll(cs, extents[i]!)).equals(f));
      assert.equal(store.reads, 0);
    } finally {
      await h.dispose();
    }
  });
});
