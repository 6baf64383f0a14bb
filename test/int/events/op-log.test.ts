import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isTgfsError } from '../../../src/errors.js';
import { EventWriter } from '../../../src/events/event-writer.js';
import { type LogEntry, OpLog } from '../../../src/events/op-log.js';
import { generateMachineKeyPair } from '../../../src/events/signing.js';
import type { NamespaceId } from '../../../src/events/types.js';
import { decodeStored } from '../../../src/projections/replica.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-oplog-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ns: NamespaceId = randomBytes(16).toString('hex');
const eventKey = randomBytes(32);

function writer(): EventWriter {
  const { privateKey } = generateMachineKeyPair();
  return new EventWriter(ns, randomUUID(), privateKey, eventKey, {
    seq: 0,
    prev: null,
    clock: {},
    hlc: { wallMs: 0, counter: 0 },
  });
}

function makeEntries(w: EventWriter, n: number): LogEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const inode = randomBytes(16).toString('hex');
    return w.emit('Create', {
      inode,
      parent: '00000000000000000000000000000001',
      name: `f${i}`,
      kind: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtimeMs: 1,
    }).entry;
  });
}

async function replayIds(log: OpLog): Promise<string[]> {
  const ids: string[] = [];
  for await (const { id, sealed } of log.replay(ns)) {
    assert.equal(decodeStored(eventKey, ns, id, sealed).id, id, 'stored record decodes to its own id');
    ids.push(id);
  }
  return ids;
}

describe('op log', () => {
  test('everything appended is there after close and reopen, in canonical order', async () => {
    const dir = await tempDir();
    const w = writer();
    const entries = makeEntries(w, 300);
    let log = await OpLog.open(dir);
    const fresh = await log.append(entries);
    assert.equal(fresh.length, 300);
    await log.close();
    log = await OpLog.open(dir);
    assert.deepEqual(
      await replayIds(log),
      entries.map((e) => e.id),
    );
    const head = await log.headOf(ns, entries[0]!.author);
    assert.deepEqual(head, { seq: 300, id: entries[299]!.id, hlc: entries[299]!.hlc });
    assert.equal(await log.idAt(ns, entries[0]!.author, 17), entries[16]!.id);
    await log.close();
  });

  test('appending every event twice changes nothing', async () => {
    const dir = await tempDir();
    const entries = makeEntries(writer(), 50);
    const log = await OpLog.open(dir);
    await log.append(entries);
    const before = await replayIds(log);
    // As a pull brings them back: not fresh from this machine's writer, so each is looked up.
    const pulled = entries.map((e) => ({ ...e, fresh: false }));
    const again = await log.append([...pulled, ...pulled]);
    assert.deepEqual(again, [], 'no event is new the second time');
    assert.deepEqual(await replayIds(log), before);
    assert.equal(await log.countPending(ns), 50);
    await log.close();
  });

  test('concurrent appends are group-committed and all land', async () => {
    const dir = await tempDir();
    const w = writer();
    const log = await OpLog.open(dir);
    const groups = Array.from({ length: 40 }, () => makeEntries(w, 25));
    const results = await Promise.all(groups.map((g) => log.append(g)));
    assert.deepEqual(
      results.map((r) => r.length),
      groups.map(() => 25),
    );
    assert.equal((await replayIds(log)).length, 1000);
    await log.close();
  });

  test('appends that skip the fsync are still logged, in order, and survive a reopen', async () => {
    const dir = await tempDir();
    const w = writer();
    const entries = makeEntries(w, 20);
    let log = await OpLog.open(dir);
    await log.append(entries.slice(0, 10), { sync: false });
    await log.append(entries.slice(10), { sync: false });
    await log.sync();
    await log.close();
    log = await OpLog.open(dir);
    assert.deepEqual(
      await replayIds(log),
      entries.map((e) => e.id),
    );
    await log.close();
  });

  test('pushed events leave the pending set', async () => {
    const dir = await tempDir();
    const log = await OpLog.open(dir);
    await log.append(makeEntries(writer(), 10));
    const pending = await log.pendingEntries(ns);
    assert.equal(pending.length, 10);
    await log.clearPending(pending.slice(0, 4));
    assert.equal(await log.countPending(ns), 6);
    await log.close();
  });

  test('a second process opening the same home gets HOME_LOCKED, not a LevelDB stack', async () => {
    const dir = await tempDir();
    const log = await OpLog.open(dir);
    const script = `
      import { OpLog } from ${JSON.stringify(new URL('../../../src/events/op-log.js', import.meta.url).href)};
      try { await OpLog.open(${JSON.stringify(dir)}); console.log('opened'); }
      catch (e) { console.log(e.code + ': ' + e.message); }
    `;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('error', reject);
      child.on('exit', () => resolve(text.trim()));
    });
    assert.match(out, /^HOME_LOCKED: this home is in use by another tgcryptfs process/);
    await log.close();
    // Once the first process let go, the home opens again.
    const reopened = await OpLog.open(dir);
    await reopened.close();
  });

  test('opening the same home twice in one process is HOME_LOCKED too', async () => {
    const dir = await tempDir();
    const log = await OpLog.open(dir);
    await assert.rejects(OpLog.open(dir), (err) => isTgfsError(err, 'HOME_LOCKED'));
    await log.close();
  });
});
