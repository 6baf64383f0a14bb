import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventWriter } from '../../../../src/events/event-writer.js';
import { OpLog } from '../../../../src/events/op-log.js';
import { generateMachineKeyPair } from '../../../../src/events/signing.js';
import { CLUSTER_NS } from '../../../../src/events/types.js';
import { parseCaption } from '../../../../src/transport/store/captions.js';
import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';
import { decodeOpMessage } from '../../../../src/transport/sync/op-message.js';
import { EVENTS_PER_MESSAGE, OpPusher } from '../../../../src/transport/sync/op-pusher.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('a push posts full op messages plus at most one partial one, and reports each posted message', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-pusher-'));
  dirs.push(dir);
  const log = await OpLog.open(dir);
  const writer = new EventWriter(
    CLUSTER_NS,
    randomUUID(),
    generateMachineKeyPair().privateKey,
    randomBytes(32),
    {
      seq: 0,
      prev: null,
      clock: {},
      hlc: { wallMs: 0, counter: 0 },
    },
  );
  const emit = (n: number) =>
    Array.from(
      { length: n },
      (_, i) =>
        writer.emit('NamespaceCreated', {
          namespace: randomBytes(16).toString('hex'),
          name: `ns${i}`,
          mode: 'standalone',
          conflict: 'last-write-wins',
          master: randomUUID(),
          createdAtMs: 1,
        }).entry,
    );
  await log.append(emit(EVENTS_PER_MESSAGE + 7));
  const store = new MemoryMessageStore();
  const pusher = new OpPusher(log, CLUSTER_NS, undefined, store);
  const posted: number[] = [];
  pusher.onPosted(async (_id, batch) => {
    posted.push(batch.length);
  });

  const first = await pusher.push();
  assert.deepEqual(posted, [EVENTS_PER_MESSAGE, 7]);
  assert.deepEqual([first.opMessages, first.events], [2, EVENTS_PER_MESSAGE + 7]);
  assert.equal(await log.countPending(CLUSTER_NS), 0);

  // What trickles in afterwards goes out in the next push, in one message.
  await log.append(emit(3));
  await log.append(emit(2));
  await pusher.push();
  assert.deepEqual(posted, [EVENTS_PER_MESSAGE, 7, 5]);
  const messages = await store.list(0);
  assert.equal(messages.length, 3);
  const last = messages[2]!;
  assert.equal(parseCaption(last.caption)?.type, 'op');
  assert.equal(decodeOpMessage(await store.read(last.id), last.id, CLUSTER_NS).events.length, 5);
  await log.close();
});
