import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  chunkBoundaries,
  DEFAULT_CDC_PARAMS,
  FastCdcChunker,
  type FastCdcParams,
  splitChunks,
} from '../../../../src/transport/content/fastcdc.js';

// Small sizes so properties can run many cases over a few KiB.
const SMALL: FastCdcParams = { minBytes: 64, avgBytes: 256, maxBytes: 1024 };

/** Deterministic pseudo-random bytes (xorshift), so large inputs are cheap and reproducible. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const hash = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const input = fc
  .tuple(fc.integer({ min: 0, max: 12_000 }), fc.integer({ min: 1, max: 2 ** 30 }))
  .map(([n, seed]) => noise(n, seed));

describe('FastCDC', () => {
  test('chunks concatenate back to the input', () => {
    fc.assert(
      fc.property(input, (data) => {
        const joined = Buffer.concat(splitChunks(data, SMALL));
        assert.ok(joined.equals(data));
      }),
    );
  });

  test('every chunk but the last is within [min, max], the last within (0, max]', () => {
    fc.assert(
      fc.property(input, (data) => {
        const chunks = splitChunks(data, SMALL);
        chunks.forEach((c, i) => {
          assert.ok(c.length <= SMALL.maxBytes);
          if (i < chunks.length - 1) assert.ok(c.length >= SMALL.minBytes, `chunk ${i} is ${c.length} bytes`);
          else assert.ok(c.length > 0);
        });
      }),
    );
  });

  test('cuts depend only on content: the same input always gives the same cuts', () => {
    fc.assert(
      fc.property(input, (data) => {
        assert.deepEqual(chunkBoundaries(Uint8Array.from(data), SMALL), chunkBoundaries(data, SMALL));
      }),
    );
  });

  test('the cut points of a fixed input never change across versions (dedupe against stored data)', () => {
    // Golden values: changing the gear table, masks or loop would re-chunk every existing file.
    const cuts = chunkBoundaries(noise(20_000, 42), SMALL);
    assert.equal(hash(new TextEncoder().encode(cuts.join(','))), GOLDEN_SMALL);
  });

  test('streaming gives exactly the one-shot chunks however the input is split', () => {
    fc.assert(
      fc.property(input, fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 20 }), (data, sizes) => {
        const chunker = new FastCdcChunker(SMALL);
        const got: Uint8Array[] = [];
        let pos = 0;
        for (const n of sizes) {
          got.push(...chunker.push(data.subarray(pos, pos + n)));
          pos = Math.min(data.length, pos + n);
        }
        got.push(...chunker.push(data.subarray(pos)));
        got.push(...chunker.finish());
        assert.deepEqual(
          got.map((c) => hash(c)),
          splitChunks(data, SMALL).map((c) => hash(c)),
        );
      }),
    );
  });

  test('an edit in the middle of a large file changes only the chunks near it', () => {
    const original = noise(48 * 1024 * 1024, 7);
    const edited = Uint8Array.from(original);
    const mid = original.length >> 1;
    edited.set(noise(100, 99), mid);
    const before = splitChunks(original).map(hash);
    const after = splitChunks(edited).map(hash);
    assert.ok(before.length >= 24, `expected ~1 MiB chunks, got ${before.length} for 48 MiB`);
    const kept = after.filter((h) => before.includes(h)).length;
    assert.ok(after.length - kept <= 3, `${after.length - kept} of ${after.length} chunks changed`);
    assert.ok(after.length - kept >= 1);
    // An insertion shifts everything after it, and still only the chunks around it change.
    const inserted = Buffer.concat([original.subarray(0, mid), noise(5000, 3), original.subarray(mid)]);
    const afterInsert = splitChunks(inserted).map(hash);
    const keptInsert = afterInsert.filter((h) => before.includes(h)).length;
    assert.ok(afterInsert.length - keptInsert <= 3);
  });

  test('default parameters average about 1 MiB with sizes in [256 KiB, 4 MiB]', () => {
    const data = noise(64 * 1024 * 1024, 11);
    const chunks = splitChunks(data, DEFAULT_CDC_PARAMS);
    const avg = data.length / chunks.length;
    assert.ok(avg > 768 * 1024 && avg < 1536 * 1024, `average ${avg}`);
    for (const c of chunks.slice(0, -1)) assert.ok(c.length >= 256 * 1024 && c.length <= 4 * 1024 * 1024);
  });

  test('low-entropy input is cut at the maximum size', () => {
    const zeros = new Uint8Array(10 * 1024 * 1024);
    const sizes = splitChunks(zeros).map((c) => c.length);
    assert.deepEqual(sizes, [4 * 1024 * 1024, 4 * 1024 * 1024, 2 * 1024 * 1024]);
  });

  test('empty input has no chunks; input under the minimum is one chunk', () => {
    assert.deepEqual(chunkBoundaries(new Uint8Array(0)), []);
    assert.deepEqual(chunkBoundaries(new Uint8Array(1000)), [1000]);
  });

  test('rejects inconsistent parameters', () => {
    assert.throws(
      () => chunkBoundaries(new Uint8Array(10), { minBytes: 512, avgBytes: 256, maxBytes: 1024 }),
      RangeError,
    );
  });
});

const GOLDEN_SMALL = '83560a96a11f89c6966188c8b2dbbc10ea9e3245db51b839bced0b68dbb4f94c';
