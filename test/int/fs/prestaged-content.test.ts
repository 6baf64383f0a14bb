import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { PrestagedContent } from '../../../src/fs/prestaged-content.js';
import { WorkingCopy } from '../../../src/fs/working-copy.js';
import type { ChunkStore } from '../../../src/transport/content/chunk-store.js';
import { ChunkWorkerPool } from '../../../src/transport/content/chunk-worker-pool.js';
import { MemoryMessageStore } from '../../../src/transport/store/memory-store.js';
import { newKeys, TestHome } from '../transport/content/content-fixtures.js';

/** One step of a writer: an append, an overwrite, a truncate, a commit, or a pause for background work. */
type Step =
  | { kind: 'append'; length: number; fill: number }
  | { kind: 'overwrite'; at: number; length: number; fill: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'commit' }
  | { kind: 'settle' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      length: fc.integer({ min: 1, max: 9000 }),
      fill: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        kind: fc.constant('overwrite' as const),
        at: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x),
        length: fc.integer({ min: 1, max: 3000 }),
        fill: fc.integer({ min: 0, max: 255 }),
      })
      .map((s) => ({ ...s, at: Math.floor(s.at * 1e6) })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.integer({ min: 0, max: 1_000_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

/** Pseudo-random but content-defined bytes, so chunk boundaries vary with the fill. */
function bytesOf(length: number, fill: number): Buffer {
  const b = Buffer.alloc(length);
  let x = fill * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

for (const withWorker of [false, true])
  describe(`prestaged content (${withWorker ? 'worker thread' : 'inline'})`, () => {
    let home: TestHome;
    let chunks: ChunkStore;
    let workers: ChunkWorkerPool | undefined;

    before(async () => {
      home = await TestHome.create();
      workers = withWorker ? new ChunkWorkerPool() : undefined;
      chunks = await home.openChunkStore(newKeys(), new MemoryMessageStore(), workers ? { workers } : {});
    });
    after(async () => {
      await chunks.close();
      await workers?.close();
      await home.dispose();
    });

    test('the extents of every commit read back as exactly the bytes written, whatever the writes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
          const reference: number[] = [];
          const prestaged = new PrestagedContent(chunks, 8 * 1024);
          const copy: WorkingCopy = new WorkingCopy(new Uint8Array(0), 0, (from) => {
            prestaged.changedFrom(from);
            prestaged.advance(copy.bytes());
          });
          const commits: Promise<void>[] = [];
          const check = async (): Promise<void> => {
            const expected = Buffer.from(reference);
            const extents = await prestaged.extentsOf(copy.bytes());
            const got = await chunks.readRange(extents, 0, Number.MAX_SAFE_INTEGER);
            assert.ok(
              Buffer.from(got).equals(expected),
              'committed extents describe the bytes as of the commit',
            );
          };
          for (const step of steps) {
            switch (step.kind) {
              case 'append': {
                const data = bytesOf(step.length, step.fill);
                copy.write(data, data.length, reference.length, 0);
                reference.push(...data);
                break;
              }
              case 'overwrite': {
                if (reference.length === 0) break;
                const at = step.at % reference.length;
                const data = bytesOf(step.length, step.fill);
                copy.write(data, data.length, at, 0);
                for (let i = 0; i < data.length; i++) reference[at + i] = data[i]!;
                break;
              }
              case 'truncate': {
                const at = reference.length === 0 ? 0 : step.at % (reference.length + 1);
                copy.truncate(at, 0);
                reference.length = at;
                break;
              }
              case 'commit':
                // Not awaited: later writes race the commit, which must still describe its own snapshot.
                commits.push(check());
                break;
              case 'settle':
                await new Promise((r) => setImmediate(r));
                break;
            }
          }
          await Promise.all(commits);
          await check();
        }),
        { numRuns: 60 },
      );
    });
  });
