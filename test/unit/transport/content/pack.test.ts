import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isTgfsError } from '../../../../src/errors.js';
import { chunkId, isChunkId } from '../../../../src/transport/content/chunk-id.js';
import { openChunk, sealChunk } from '../../../../src/transport/content/content-seal.js';
import {
  chunkFromPack,
  decodePackIndex,
  encodePack,
  encodePackWithIndex,
  MIN_PACK_BUCKET_BYTES,
  PACK_PREFIX_BYTES,
  packIndexBytesNeeded,
  paddedPackSize,
} from '../../../../src/transport/content/pack.js';

const ns = 'a'.repeat(32);
const packId = 'b'.repeat(32);
const dataKey = randomBytes(32);
const idKey = randomBytes(32);

function makeChunks(plains: Uint8Array[]) {
  const byId = new Map<string, Uint8Array>();
  for (const p of plains) byId.set(chunkId(idKey, p), p);
  return [...byId].map(([id, plain]) => ({ chunkId: id, plain, sealed: sealChunk(dataKey, ns, id, plain) }));
}

const plainsArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 5000 }), { minLength: 0, maxLength: 30 });

describe('chunk ids', () => {
  test('are 64 hex characters, equal for equal content, and depend on the key', () => {
    const a = chunkId(idKey, new TextEncoder().encode('hello'));
    assert.ok(isChunkId(a));
    assert.equal(chunkId(idKey, new TextEncoder().encode('hello')), a);
    assert.notEqual(chunkId(randomBytes(32), new TextEncoder().encode('hello')), a);
    assert.notEqual(chunkId(idKey, new TextEncoder().encode('hellp')), a);
  });
});

describe('sealed chunks', () => {
  test('open only under the chunk id and namespace they were sealed for', () => {
    const plain = new TextEncoder().encode('secret');
    const id = chunkId(idKey, plain);
    const sealed = sealChunk(dataKey, ns, id, plain);
    assert.deepEqual(new Uint8Array(openChunk(dataKey, ns, id, sealed, 'test')), plain);
    const other = chunkId(idKey, new TextEncoder().encode('other'));
    assert.throws(
      () => openChunk(dataKey, ns, other, sealed, 'test'),
      (e) => isTgfsError(e, 'CHUNK_AUTH_FAILED'),
    );
    assert.throws(
      () => openChunk(dataKey, 'c'.repeat(32), id, sealed, 'test'),
      (e) => isTgfsError(e, 'CHUNK_AUTH_FAILED'),
    );
    assert.throws(
      () => openChunk(randomBytes(32), ns, id, sealed, 'message 7'),
      (e) => isTgfsError(e, 'CHUNK_AUTH_FAILED') && e.message.includes(id) && e.message.includes('message 7'),
    );
  });
});

describe('packs', () => {
  test('round trip: the index lists every chunk and each opens to its plaintext', () => {
    fc.assert(
      fc.property(plainsArb, (plains) => {
        const chunks = makeChunks(plains);
        const bytes = encodePack({ ns, packId, chunks }, dataKey);
        const entries = decodePackIndex(bytes, dataKey, ns, packId);
        assert.deepEqual(entries.map((e) => e.chunkId).sort(), chunks.map((c) => c.chunkId).sort());
        for (const c of chunks) {
          const entry = entries.find((e) => e.chunkId === c.chunkId)!;
          const plain = openChunk(dataKey, ns, c.chunkId, chunkFromPack(bytes, entry), 'pack');
          assert.deepEqual(new Uint8Array(plain), c.plain);
        }
      }),
      { numRuns: 50 },
    );
  });

  test('the index can be read from the first bytes alone, as a ranged read would fetch them', () => {
    const chunks = makeChunks([randomBytes(100_000), randomBytes(50_000)]);
    const { bytes, entries } = encodePackWithIndex({ ns, packId, chunks }, dataKey);
    const needed = packIndexBytesNeeded(bytes.subarray(0, PACK_PREFIX_BYTES));
    assert.ok(needed < 1000);
    assert.deepEqual(decodePackIndex(bytes.slice(0, needed), dataKey, ns, packId), entries);
  });

  test('sizes are padded to buckets, so similar contents give equal sizes', () => {
    const small = encodePack({ ns, packId, chunks: makeChunks([randomBytes(10)]) }, dataKey);
    assert.equal(small.length, MIN_PACK_BUCKET_BYTES);
    const a = encodePack({ ns, packId, chunks: makeChunks([randomBytes(300_000)]) }, dataKey);
    const b = encodePack(
      { ns, packId, chunks: makeChunks([randomBytes(290_000), randomBytes(12_000)]) },
      dataKey,
    );
    assert.equal(a.length, b.length);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 * 1024 * 1024 }), (n) => {
        const size = paddedPackSize(n);
        assert.ok(size >= n && size >= MIN_PACK_BUCKET_BYTES);
        assert.ok(size <= Math.max(MIN_PACK_BUCKET_BYTES, n * 1.25 + 4096));
      }),
    );
  });

  test('chunks are stored in random order', () => {
    const chunks = makeChunks(Array.from({ length: 12 }, () => randomBytes(64)));
    const orders = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { entries } = encodePackWithIndex({ ns, packId, chunks }, dataKey);
      orders.add(
        [...entries]
          .sort((x, y) => x.offset - y.offset)
          .map((e) => e.chunkId)
          .join(),
      );
    }
    assert.ok(orders.size > 1);
  });

  test('a flipped byte in the header, or the wrong pack id or namespace, fails authentication', () => {
    const chunks = makeChunks([randomBytes(1000), randomBytes(2000)]);
    const bytes = encodePack({ ns, packId, chunks }, dataKey);
    const isAuth = (e: unknown) => isTgfsError(e, 'CHUNK_AUTH_FAILED');
    assert.throws(() => decodePackIndex(bytes, dataKey, ns, 'c'.repeat(32)), isAuth);
    assert.throws(() => decodePackIndex(bytes, dataKey, 'c'.repeat(32), packId), isAuth);
    assert.throws(() => decodePackIndex(bytes, randomBytes(32), ns, packId), isAuth);
    const needed = packIndexBytesNeeded(bytes);
    for (const at of [PACK_PREFIX_BYTES, PACK_PREFIX_BYTES + 30, needed - 1]) {
      const tampered = Uint8Array.from(bytes);
      tampered[at]! ^= 0x01;
      assert.throws(() => decodePackIndex(tampered, dataKey, ns, packId), isAuth);
    }
  });

  test('a flipped byte in one chunk fails that chunk only', () => {
    const chunks = makeChunks([randomBytes(1000), randomBytes(2000), randomBytes(3000)]);
    const { bytes, entries } = encodePackWithIndex({ ns, packId, chunks }, dataKey);
    const victim = entries[1]!;
    const tampered = Uint8Array.from(bytes);
    tampered[victim.offset + 500]! ^= 0x80;
    for (const e of decodePackIndex(tampered, dataKey, ns, packId)) {
      const open = () => openChunk(dataKey, ns, e.chunkId, chunkFromPack(tampered, e), 'pack');
      if (e.chunkId === victim.chunkId) assert.throws(open, (err) => isTgfsError(err, 'CHUNK_AUTH_FAILED'));
      else assert.doesNotThrow(open);
    }
  });

  test('something that is not a pack is STORE_CORRUPT', () => {
    assert.throws(
      () => packIndexBytesNeeded(new Uint8Array(8)),
      (e) => isTgfsError(e, 'STORE_CORRUPT'),
    );
    assert.throws(
      () => packIndexBytesNeeded(randomBytes(64)),
      (e) => isTgfsError(e, 'STORE_CORRUPT'),
    );
    const bytes = encodePack({ ns, packId, chunks: [] }, dataKey);
    const future = Uint8Array.from(bytes);
    future[8] = 99;
    assert.throws(
      () => packIndexBytesNeeded(future),
      (e) => isTgfsError(e, 'STORE_CORRUPT') && /version 99/.test(e.message),
    );
  });
});
