/**
 * The op log on a full disk (a small tmpfs): an append fails with NO_SPACE, changes nothing, and once space
 * is freed appends work again; every append that was acknowledged before or after is there when the log is
 * opened again. Without GuardedLevel, LevelDB drops every record written after the failed one on reopen.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isTgfsError } from '../../../src/errors.js';
import { EventWriter } from '../../../src/events/event-writer.js';
import { type LogEntry, OpLog } from '../../../src/events/op-log.js';
import { generateMachineKeyPair } from '../../../src/events/signing.js';
import type { NamespaceId } from '../../../src/events/types.js';
import { mountSmallDisk, SMALL_DISK_SKIP } from '../../helpers/small-disk.js';

const ns: NamespaceId = randomBytes(16).toString('hex');

function writer(): EventWriter {
  const { privateKey } = generateMachineKeyPair();
  return new EventWriter(ns, randomUUID(), privateKey, randomBytes(32), {
    seq: 0,
    prev: null,
    clock: {},
    hlc: { wallMs: 0, counter: 0 },
  });
}

function entry(w: EventWriter, i: number): LogEntry {
  return w.emit('Create', {
    inode: randomBytes(16).toString('hex'),
    parent: '00000000000000000000000000000001',
    // Long names make each record a few KiB, so the disk fills in a few dozen appends.
    name: `f${i}-${'x'.repeat(200)}`,
    kind: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtimeMs: 1,
    path: `/${'p'.repeat(3000)}`,
  }).entry;
}

async function storedIds(log: OpLog): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const { id } of log.replay(ns)) ids.add(id);
  return ids;
}

describe('the op log on a full disk', { skip: SMALL_DISK_SKIP }, () => {
  test('an append on a full disk is NO_SPACE; appends work again once space is freed; nothing acknowledged is lost', async () => {
    const disk = await mountSmallDisk(16);
    const location = join(disk.dir, 'db');
    let log = await OpLog.open(location);
    try {
      const w = writer();
      const acknowledged: string[] = [];
      const append = async (i: number) => {
        const e = entry(w, i);
        await log.append([e]);
        acknowledged.push(e.id);
      };
      for (let i = 0; i < 10; i++) await append(i);

      await disk.fill();
      let failure: unknown;
      for (let i = 10; i < 1000 && failure === undefined; i++) {
        const before = w.current;
        await append(i).catch((err: unknown) => {
          failure = err;
          w.restore(before);
        });
      }
      assert.ok(isTgfsError(failure, 'NO_SPACE'), `a full disk is NO_SPACE, got ${String(failure)}`);
      // Refused while the disk stays full, not written into LevelDB's damaged log file.
      await assert.rejects(log.append([entry(w, 2000)]), (err) => isTgfsError(err, 'NO_SPACE'));
      assert.deepEqual(
        await storedIds(log),
        new Set(acknowledged),
        'reads go on, showing what was acknowledged',
      );

      await disk.drain();
      for (let i = 3000; i < 3100; i++) await append(i);
      assert.deepEqual(await storedIds(log), new Set(acknowledged));
      await log.close();

      log = await OpLog.open(location);
      assert.deepEqual(
        await storedIds(log),
        new Set(acknowledged),
        'every acknowledged append survives a reopen',
      );
    } finally {
      await log.close();
      await disk.unmount();
    }
  });
});
