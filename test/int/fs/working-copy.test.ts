/**
 * The working copy over a real chunk store (FastCDC, sealing, the staging area in a temp home): random
 * operations against the reference file, spilling past a small dirty limit, holes staged as nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { storedBytes } from '../../../src/events/extents.js';
import { DirtyBudget } from '../../../src/fs/dirty-budget.js';
import { WorkingCopy } from '../../../src/fs/working-copy.js';
import type { ChunkStore } from '../../../src/transport/content/chunk-store.js';
import { MemoryMessageStore } from '../../../src/transport/store/memory-store.js';
import { copyOpArb, patternBytes, ReferenceFile } from '../../unit/fs/copy-model.js';
import { newKeys, TestHome } from '../transport/content/content-fixtures.js';

// SMALL_CDC's largest chunk is 16 KiB.
const TUNING = { pieceBytes: 64 * 1024, settleMinBytes: 32 * 1024 };

describe('WorkingCopy over a chunk store', () => {
  let home: TestHome;
  let chunks: ChunkStore;
  before(async () => {
    home = await TestHome.create();
    chunks = await home.openChunkStore(newKeys(), new MemoryMessageStore());
  });
  after(async () => {
    await chunks.close();
    await home.dispose();
  });

  test('random writes, truncates and commits past a small dirty limit read back as the reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(copyOpArb(300_000, 60_000), { minLength: 1, maxLength: 25 }), async (ops) => {
        const budget = new DirtyBudget(48 * 1024);
        let copy = new WorkingCopy({ sizeBytes: 0 }, 0, chunks, budget, TUNING);
        const ref = new ReferenceFile();
        for (const op of ops) {
          if (op.kind === 'write') {
            const bytes = patternBytes(op.length, op.seed);
            await copy.write(bytes, op.length, op.position, 1);
            ref.write(op.position, bytes);
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
            if (settled.extents !== undefined) assert.equal(storedBytes(settled.extents), ref.writtenBytes);
            else ref.written = ref.size === 0 ? [] : [[0, ref.size]];
            copy.dispose();
            copy = new WorkingCopy(settled, 1, chunks, budget, TUNING);
          }
        }
        const settled = await copy.settle();
        copy.dispose();
        const reopened = new WorkingCopy(settled, 1, chunks, budget, TUNING);
        for (const [position, length] of [
          [0, 400_000],
          [Math.max(0, ref.size - 70_000), 100_000],
        ] as const) {
          const into = Buffer.alloc(length);
          const n = await reopened.read(into, length, position);
          assert.deepEqual(into.subarray(0, n), ref.read(position, length));
        }
        reopened.dispose();
        assert.equal(budget.usedBytes, 0);
      }),
      { numRuns: 25 },
    );
  });
});
