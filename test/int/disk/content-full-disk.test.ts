/**
 * Content writes on a full disk (a small tmpfs): staging refuses with NO_SPACE and gives back what a failed
 * write put down, earlier chunks stay readable, the read cache gives way, and a local store refuses an append
 * with NO_SPACE and leaves no partial message behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SpaceReserve } from '../../../src/disk/space-reserve.js';
import { isTgfsError } from '../../../src/errors.js';
import { ChunkCache } from '../../../src/transport/content/chunk-cache.js';
import { StagingArea } from '../../../src/transport/content/staging-area.js';
import { LocalMessageStore } from '../../../src/transport/store/local-store.js';
import { mountSmallDisk, SMALL_DISK_SKIP } from '../../helpers/small-disk.js';

const MiB = 1024 * 1024;

async function segmentBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

describe('content on a full disk', { skip: SMALL_DISK_SKIP }, () => {
  test('staging on a full disk fails with NO_SPACE, gives the space back and keeps earlier chunks', async () => {
    const disk = await mountSmallDisk(8);
    const staging = await StagingArea.open(join(disk.dir, 'staging'));
    try {
      const first = randomBytes(100_000);
      const [where] = await staging.append([first]);
      // One chunk larger than the free space: written part of the way, then ENOSPC.
      const free = await disk.freeBytes();
      await assert.rejects(staging.append([randomBytes(free + MiB)]), (err) => isTgfsError(err, 'NO_SPACE'));
      assert.equal(
        await segmentBytes(join(disk.dir, 'staging')),
        first.length,
        'the partial write is cut off',
      );
      assert.ok(Buffer.from((await staging.read(where!))!).equals(first));
      const again = await staging.append([randomBytes(1000)]);
      assert.equal(again[0]!.offset, first.length, 'later appends carry on where the good bytes end');
    } finally {
      await staging.close();
      await disk.unmount();
    }
  });

  test('with a reserve, staging refuses content that would eat into it before writing anything', async () => {
    const disk = await mountSmallDisk(8);
    const reserve = new SpaceReserve(disk.dir, 4 * MiB);
    const staging = await StagingArea.open(join(disk.dir, 'staging'), reserve);
    try {
      await staging.append([randomBytes(MiB)]);
      // 7 MiB free: 4 MiB more would leave 3, under the reserve.
      await assert.rejects(staging.append([randomBytes(4 * MiB)]), (err) => {
        assert.ok(isTgfsError(err, 'NO_SPACE'));
        assert.match((err as Error).message, /kept for the op log/);
        return true;
      });
      assert.equal(await segmentBytes(join(disk.dir, 'staging')), MiB);
    } finally {
      await staging.close();
      await disk.unmount();
    }
  });

  test('the read cache keeps nothing on a full disk, without failing, and gives way to staging', async () => {
    const disk = await mountSmallDisk(8);
    const reserve = new SpaceReserve(disk.dir, 2 * MiB);
    try {
      const cache = await ChunkCache.open(join(disk.dir, 'cache'), 64 * MiB, reserve);
      for (let i = 0; i < 4; i++) await cache.put(`${i}`.padStart(8, 'c'), randomBytes(MiB));
      assert.equal(cache.sizeBytes, 4 * MiB);
      await cache.makeRoom(3 * MiB);
      assert.ok(await reserve.allows(3 * MiB), 'evicted until 3 MiB fit above the reserve');
      assert.ok(cache.sizeBytes < 4 * MiB);
      await disk.fill();
      await cache.put('fullfull', randomBytes(MiB));
      assert.equal(cache.has('fullfull'), false);
      const bare = await ChunkCache.open(join(disk.dir, 'bare'), 64 * MiB);
      await bare.put('nospace1', randomBytes(MiB));
      assert.equal(bare.has('nospace1'), false, 'no reserve: the write hits ENOSPC and is dropped');
    } finally {
      await disk.unmount();
    }
  });

  test('a local store on a full disk refuses an append with NO_SPACE and leaves no partial message', async () => {
    const disk = await mountSmallDisk(8);
    try {
      const store = await LocalMessageStore.open(join(disk.dir, 'store'), { reserveBytes: 0 });
      const id = await store.append('tgfs:ns:op:1', randomBytes(1000));
      await disk.fill();
      await assert.rejects(store.append('tgfs:ns:op:2', randomBytes(MiB)), (err) =>
        isTgfsError(err, 'NO_SPACE'),
      );
      assert.deepEqual(await readdir(join(disk.dir, 'store', 'tmp')), []);
      assert.equal((await store.read(id)).length, 1000);
      await disk.drain();
      assert.equal(await store.append('tgfs:ns:op:2', randomBytes(MiB)), id + 1);

      const reserved = await LocalMessageStore.open(join(disk.dir, 'store'), { reserveBytes: 6 * MiB });
      await assert.rejects(reserved.append('tgfs:ns:op:3', randomBytes(2 * MiB)), (err) =>
        isTgfsError(err, 'NO_SPACE'),
      );
    } finally {
      await disk.unmount();
    }
  });
});
