import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isTgfsError } from '../../../src/errors.js';
import { extentsProblem, storedBytes } from '../../../src/events/extents.js';
import { schemaVersionOf } from '../../../src/events/types.js';
import { DirtyBudget } from '../../../src/fs/dirty-budget.js';
import { MAX_FILE_BYTES, type SettledContent, WorkingCopy } from '../../../src/fs/working-copy.js';
import { copyOpArb, MemoryContent, patternBytes, ReferenceFile } from './copy-model.js';

const TUNING = { pieceBytes: 30_000, settleMinBytes: 10_000 };

async function readAll(copy: WorkingCopy, position: number, length: number): Promise<Buffer> {
  const into = Buffer.alloc(length, 0xee);
  const n = await copy.read(into, length, position);
  return into.subarray(0, n);
}

function reopened(settled: SettledContent, content: MemoryContent, budget: DirtyBudget): WorkingCopy {
  return new WorkingCopy(settled, settled.mtimeMs, content, budget, TUNING);
}

describe('WorkingCopy', () => {
  test('random writes, truncates, fallocates, spills and commits read back as a reference file; holes cost nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(copyOpArb(200_000, 40_000), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 20_000, max: 150_000 }),
        async (ops, limit) => {
          const content = new MemoryContent();
          const budget = new DirtyBudget(limit);
          let copy = new WorkingCopy({ sizeBytes: 0 }, 0, content, budget, TUNING);
          const ref = new ReferenceFile();
          const touched: Array<[number, number]> = [];
          for (const op of ops) {
            if (op.kind === 'write') {
              const bytes = patternBytes(op.length, op.seed);
              assert.equal(await copy.write(bytes, op.length, op.position, 1), op.length);
              ref.write(op.position, bytes);
              touched.push([op.position, op.length]);
              // Spilling keeps memory near the limit, whatever was written.
              assert.ok(budget.usedBytes <= 2 * limit + 128 * 1024, `${budget.usedBytes} over ${limit}`);
            } else if (op.kind === 'truncate') {
              copy.truncate(op.size, 1);
              ref.truncate(op.size);
            } else if (op.kind === 'allocate') {
              copy.allocate(op.offset, op.length, op.keepSize, 1);
              if (!op.keepSize) ref.truncate(Math.max(ref.size, op.offset + op.length));
            } else if (op.kind === 'spill') {
              await copy.spill();
            } else {
              const settled = await copy.settle();
              assert.equal(settled.sizeBytes, ref.size);
              if (settled.inline !== undefined) {
                assert.deepEqual(Buffer.from(settled.inline), ref.read(0, ref.size));
                // A small file keeps its zeros inline.
                ref.written = ref.size === 0 ? [] : [[0, ref.size]];
              } else {
                const extents = settled.extents ?? [];
                assert.equal(extentsProblem(extents, settled.sizeBytes), undefined);
                assert.equal(storedBytes(extents), ref.writtenBytes, 'only written bytes are stored');
              }
              copy.dispose();
              copy = reopened(settled, content, budget);
            }
            assert.equal(copy.sizeBytes, ref.size);
            assert.equal(copy.storedBytes, ref.writtenBytes, 'holes take no segment');
          }
          const ranges: Array<[number, number]> = [
            ...touched,
            [0, 300_000],
            [Math.max(0, ref.size - 50_000), 100_000],
          ];
          for (const [position, length] of ranges) {
            assert.deepEqual(await readAll(copy, position, length), ref.read(position, length));
          }
          const settled = await copy.settle();
          copy.dispose();
          const again = reopened(settled, content, budget);
          for (const [position, length] of ranges) {
            assert.deepEqual(await readAll(again, position, length), ref.read(position, length));
          }
          again.dispose();
          assert.equal(budget.usedBytes, 0, 'every block is returned to the budget');
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a file written sequentially past the dirty limit spills, and commits as the same chunks a whole cut gives', async () => {
    const content = new MemoryContent();
    const limit = 64 * 1024;
    const budget = new DirtyBudget(limit);
    const copy = new WorkingCopy({ sizeBytes: 0 }, 0, content, budget, TUNING);
    const all = patternBytes(1_000_000, 7);
    let peak = 0;
    for (let pos = 0; pos < all.length; pos += 8192) {
      const n = Math.min(8192, all.length - pos);
      await copy.write(all.subarray(pos, pos + n), n, pos, 1);
      peak = Math.max(peak, budget.usedBytes);
    }
    assert.ok(peak <= 2 * limit + 64 * 1024, `peak ${peak}`);
    assert.ok(content.storedBytes > 500_000, 'most of the file was spilled before the commit');
    const settled = await copy.settle();
    assert.equal(storedBytes(settled.extents ?? []), all.length);
    // Spilled runs are settled at chunk boundaries: the extents are the fixed 5000-byte cut of the whole file.
    const whole = await new MemoryContent().putFile(all);
    assert.deepEqual(
      settled.extents?.map((e) => e.chunkId),
      whole.map((e) => e.chunkId),
    );
    assert.deepEqual(await readAll(reopened(settled, content, budget), 0, all.length), all);
  });

  test('a truncate to 10^15 bytes is a hole: no memory, no chunks, a schema-2 Write', async () => {
    const content = new MemoryContent();
    const budget = new DirtyBudget();
    const copy = new WorkingCopy({ sizeBytes: 0 }, 0, content, budget);
    copy.truncate(999_999_999_999_999, 1);
    assert.equal(budget.usedBytes, 0);
    assert.deepEqual(await readAll(copy, 999_999_999_999_000, 4096), Buffer.alloc(999));
    const settled = await copy.settle();
    assert.deepEqual(settled.extents, []);
    assert.equal(content.storedBytes, 0);
    const body = { inode: 'x', sizeBytes: settled.sizeBytes, extents: settled.extents ?? [], mtimeMs: 1 };
    assert.equal(schemaVersionOf('Write', body), 2);
  });

  test('a file written at its end keeps the bytes before as a hole, placed by offset', async () => {
    const content = new MemoryContent();
    const copy = new WorkingCopy({ sizeBytes: 0 }, 0, content, new DirtyBudget());
    const tail = patternBytes(10_000, 3);
    const at = 10 * 1024 ** 3 - tail.length;
    await copy.write(tail, tail.length, at, 1);
    assert.equal(copy.sizeBytes, 10 * 1024 ** 3);
    assert.equal(copy.storedBytes, tail.length);
    const settled = await copy.settle();
    assert.equal(settled.extents?.[0]?.offsetBytes, at);
    assert.equal(content.storedBytes, tail.length);
  });

  test('sizes past 2^53 - 1 are FILE_TOO_BIG and leave the copy as it was', async () => {
    const copy = new WorkingCopy({ sizeBytes: 0 }, 0, new MemoryContent(), new DirtyBudget());
    await copy.write(Buffer.from('keep'), 4, 0, 1);
    const tooBig = (err: unknown) => isTgfsError(err, 'FILE_TOO_BIG');
    assert.throws(() => copy.truncate(MAX_FILE_BYTES + 1, 2), tooBig);
    assert.throws(() => copy.allocate(MAX_FILE_BYTES, 2, false, 2), tooBig);
    await assert.rejects(copy.write(Buffer.from('x'), 1, MAX_FILE_BYTES, 2), tooBig);
    copy.truncate(MAX_FILE_BYTES, 2);
    assert.equal(copy.sizeBytes, MAX_FILE_BYTES);
    assert.deepEqual(await readAll(copy, 0, 8), Buffer.from('keep\0\0\0\0'));
  });
});
