import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { openSync, type SyncSession } from '../../../src/home/sync-service.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { FaultInjectingStore } from '../../../src/transport/store/fault-store.js';
import { LocalMessageStore } from '../../../src/transport/store/local-store.js';
import { RetryingStore } from '../../../src/transport/store/retrying-store.js';
import type { SyncReport } from '../../../src/transport/sync/sync-engine.js';
import { logIds, newInode, openChunks, openNs, smallFile, twoHomes } from './sync-fixtures.js';

/** Enough rounds that a 20% fault rate hits every kind of call many times over. */
const ROUNDS = 10;

/** A sync round under faults may still give up (RetryingStore's attempts run out): then the next round resumes. */
async function syncUntilDone(s: SyncSession): Promise<SyncReport[]> {
  const reports: SyncReport[] = [];
  for (let round = 0; round < 20; round++) {
    try {
      reports.push(await s.engine.sync());
      return reports;
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'STORE_UNAVAILABLE', String(err));
    }
  }
  throw new Error('sync never completed');
}

test('sync completes under 20% failed store calls and flood waits: nothing lost, nothing applied twice', async () => {
  const h = await twoHomes();
  const faultyA = new FaultInjectingStore(await LocalMessageStore.open(h.storeDir), {
    seed: 7,
    failBeforeRate: 0.08,
    failAfterRate: 0.07,
    floodWaitRate: 0.05,
    floodWaitMs: 2,
  });
  const faultyB = new FaultInjectingStore(await LocalMessageStore.open(h.storeDir), {
    seed: 11,
    failBeforeRate: 0.08,
    failAfterRate: 0.07,
    floodWaitRate: 0.05,
    floodWaitMs: 2,
  });
  const retry = { baseDelayMs: 1, maxDelayMs: 4 };
  try {
    const ra = await openNs(h.a, h.ns);
    // a's content store also goes through the faults (packs are posted by flushToStore).
    const chunksA = await openChunks(h.a, h.ns, new RetryingStore(faultyA, retry));
    const syncA = await openSync(h.a, {
      rawStore: faultyA,
      retry,
      chunks: new Map([[h.ns, chunksA]]),
      replicas: new Map([[h.ns, ra]]),
    });
    const rb = await openNs(h.b, h.ns);
    let appliedOnB = 0;
    const countingB = {
      async ingest(entries: Parameters<typeof rb.ingest>[0]) {
        const fresh = await rb.ingest(entries);
        appliedOnB += fresh.length;
        return fresh;
      },
    };
    const syncB = await openSync(h.b, { rawStore: faultyB, retry, replicas: new Map([[h.ns, countingB]]) });

    const files: { extents: Awaited<ReturnType<typeof chunksA.putFile>>; content: Buffer }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const content = randomBytes(20_000 + round * 7_000);
      const extents = await chunksA.putFile(content);
      const inode = newInode();
      await ra.commit([
        ...smallFile(`small-${round}.txt`, `round ${round}`),
        {
          type: 'Create',
          body: {
            inode,
            parent: '00000000000000000000000000000001',
            name: `f${round}`,
            kind: 'file',
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtimeMs: round,
          },
        },
        { type: 'Write', body: { inode, sizeBytes: content.length, extents, mtimeMs: round } },
      ]);
      files.push({ extents, content });
      await syncUntilDone(syncA);
      await syncUntilDone(syncB);
    }
    await rb.commit(smallFile('from-b', 'b'));
    await syncUntilDone(syncB);
    await syncUntilDone(syncA);
    await syncUntilDone(syncB);

    const faults = faultyA.faults.length + faultyB.faults.length;
    assert.ok(faults > 20, `faults were injected (${faults})`);
    assert.ok(
      [...faultyA.faults, ...faultyB.faults].some((f) => f.kind === 'flood-wait'),
      'flood waits were injected',
    );
    assert.ok(syncB.state.status.floodWaitMs !== undefined, 'the flood wait reached the status');

    const idsA = await logIds(h.a, h.ns);
    const idsB = await logIds(h.b, h.ns);
    assert.deepEqual(idsB, idsA, 'every event arrived, none twice');
    assert.equal(idsA.length, ROUNDS * 4 + 2);
    assert.equal(appliedOnB, ROUNDS * 4, "each of a's events was applied to b's replica exactly once");
    assert.equal(namespaceStateHash(rb.state), namespaceStateHash(ra.state));
    assert.equal((await syncB.state.badMessages()).length, 0, 'retries and duplicates are not rejections');

    faultyB.setEnabled(false);
    const chunksB = await openChunks(h.b, h.ns, new RetryingStore(faultyB, retry));
    // b indexed a's packs while pulling (its openSync opened the content store on demand).
    for (const f of files) {
      assert.deepEqual(Buffer.from(await chunksB.readRange(f.extents, 0, f.content.length)), f.content);
    }
    await chunksB.close();
    await syncA.close();
    await syncB.close();
    await chunksA.close();
  } finally {
    await h.close();
  }
});
