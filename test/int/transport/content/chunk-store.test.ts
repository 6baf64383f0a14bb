import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { isTgfsError } from '../../../../src/errors.js';
import { CountingStore, filesContaining, markedContent, newKeys, TestHome } from './content-fixtures.js';

describe('ChunkStore: local staging', () => {
  let home: TestHome;
  before(async () => {
    home = await TestHome.create();
  });
  after(async () => {
    await home.dispose();
  });

  test('a file put is readable back before any upload, without touching the store', async () => {
    const store = new CountingStore();
    const cs = await home.openChunkStore(newKeys(), store);
    const content = randomBytes(100_000);
    const extents = await cs.putFile(content);
    assert.ok(extents.length > 3);
    assert.equal(
      extents.reduce((n, e) => n + e.lengthBytes, 0),
      content.length,
    );
    const back = Buffer.concat(await Promise.all(extents.map((e) => cs.read(e))));
    assert.ok(back.equals(content));
    assert.deepEqual([store.appends, store.reads, store.lists], [0, 0, 0]);
    await cs.close();
  });

  test('an empty file has no extents', async () => {
    const cs = await home.openChunkStore(newKeys(), new CountingStore());
    assert.deepEqual(await cs.putFile(new Uint8Array(0)), []);
  });

  test('staged content survives reopening the chunk store (it was durable when putFile resolved)', async () => {
    const keys = newKeys();
    const store = new CountingStore();
    const cs = await home.openChunkStore(keys, store);
    const content = randomBytes(50_000);
    const extents = await cs.putFile(content);
    const pending = await cs.pendingChunks();
    await cs.close();
    const reopened = await home.openChunkStore(keys, store);
    assert.equal(await reopened.pendingChunks(), pending);
    assert.ok(Buffer.from(await reopened.readRange(extents, 0, content.length)).equals(content));
  });

  test('dedupe: content already known is not staged again', async () => {
    const keys = newKeys();
    const cs = await home.openChunkStore(keys, new CountingStore());
    const content = randomBytes(80_000);
    const first = await cs.putFile(content);
    const pending = await cs.pendingChunks();
    const segments = await readdir(join(home.cacheDir(keys.ns), 'staging'));
    const second = await cs.putFile(content);
    assert.deepEqual(second, first);
    assert.equal(await cs.pendingChunks(), pending);
    assert.deepEqual(await readdir(join(home.cacheDir(keys.ns), 'staging')), segments);
    // A file repeating one block has one chunk id many times and stages it once.
    const block = randomBytes(16 * 1024);
    const repeated = Buffer.concat(Array.from({ length: 8 }, () => block));
    const extents = await cs.putFile(repeated);
    assert.ok(new Set(extents.map((e) => e.chunkId)).size < extents.length);
    assert.equal(await cs.pendingChunks(), pending + new Set(extents.map((e) => e.chunkId)).size);
  });

  test('an unknown chunk is CHUNK_MISSING', async () => {
    const cs = await home.openChunkStore(newKeys(), new CountingStore());
    await assert.rejects(cs.read('0'.repeat(64)), (e) => isTgfsError(e, 'CHUNK_MISSING'));
  });

  test('readRange returns exactly the bytes of the file in that range', async () => {
    const cs = await home.openChunkStore(newKeys(), new CountingStore());
    const content = randomBytes(120_000);
    const extents = await cs.putFile(content);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: content.length + 100 }),
        fc.integer({ min: 0, max: 40_000 }),
        async (offset, length) => {
          const got = Buffer.from(await cs.readRange(extents, offset, length));
          assert.ok(got.equals(content.subarray(offset, offset + length)));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('readRange fetches the chunks that overlap the range, plus the next one as read-ahead', async () => {
    const store = new CountingStore();
    const keys = newKeys();
    const cs = await home.openChunkStore(keys, store, { maxCacheBytes: 0 });
    const content = randomBytes(200_000);
    const extents = await cs.putFile(content);
    await cs.flushToStore();
    const before = store.reads;
    const firstLen = extents[0]!.lengthBytes;
    assert.ok(extents.length >= 3, 'the file spans at least three chunks');
    const got = await cs.readRange(extents, 10, firstLen - 20);
    assert.ok(Buffer.from(got).equals(content.subarray(10, firstLen - 10)));
    // Let the read-ahead of the second chunk land; the third is never touched.
    await cs.read(extents[1]!);
    assert.equal(store.reads - before, 2);
  });

  test('the home never holds plaintext: not in staging, cache or LevelDB, before or after upload', async () => {
    const marker = `tgfs-plaintext-marker-${randomBytes(8).toString('hex')}`;
    const needle = Buffer.from(marker);
    const keys = newKeys();
    const store = new CountingStore();
    const cs = await home.openChunkStore(keys, store);
    const big = markedContent(marker, 150_000);
    const small = Buffer.from(`${marker} a small file`);
    const bigExtents = await cs.putFile(big);
    const smallExtents = await cs.putFile(small);
    assert.deepEqual(await filesContaining(home.root, needle), []);
    // Control: the search does find the marker where it is.
    await writeFile(join(home.root, 'control'), big);
    assert.deepEqual(await filesContaining(home.root, needle), [join(home.root, 'control')]);
    await unlink(join(home.root, 'control'));
    await cs.flushToStore();
    // Read through a fresh home so chunks land in the cache from the store.
    const other = await TestHome.create();
    try {
      const cs2 = await other.openChunkStore(keys, store);
      await cs2.rebuildIndexFromStore();
      assert.ok(Buffer.from(await cs2.readRange(bigExtents, 0, big.length)).equals(big));
      assert.ok(Buffer.from(await cs2.readRange(smallExtents, 0, small.length)).equals(small));
      await other.db.compactRange('\x00', '\xff');
      assert.deepEqual(await filesContaining(other.root, needle), []);
    } finally {
      await other.dispose();
    }
    await home.db.compactRange('\x00', '\xff');
    assert.deepEqual(await filesContaining(home.root, needle), []);
  });
});
