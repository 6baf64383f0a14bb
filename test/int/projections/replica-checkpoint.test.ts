import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventWriter } from '../../../src/events/event-writer.js';
import { OpLog } from '../../../src/events/op-log.js';
import { generateMachineKeyPair } from '../../../src/events/signing.js';
import { ROOT_INODE } from '../../../src/events/types.js';
import { childrenOf } from '../../../src/projections/namespace/queries.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { type Command, Replica } from '../../../src/projections/replica.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ns = randomBytes(16).toString('hex');
const eventKey = randomBytes(32);
const me = { id: randomUUID(), privateKey: generateMachineKeyPair().privateKey };

function mkdir(name: string): Command {
  return {
    type: 'Create',
    body: {
      inode: randomBytes(16).toString('hex'),
      parent: ROOT_INODE,
      name,
      kind: 'dir',
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtimeMs: 1,
    },
  };
}

const open = (log: OpLog) => Replica.open(log, ns, eventKey, me, namespaceProjection);

/** What a full replay of the log gives, ignoring any checkpoint. */
async function fullReplayHash(log: OpLog): Promise<string> {
  await log.area('checkpoints').del(ns);
  return namespaceStateHash((await open(log)).state);
}

test('a reopened replica resumes from its checkpoint and still folds what arrived after it, late events included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-checkpoint-'));
  dirs.push(dir);
  let log = await OpLog.open(dir);
  let replica: Replica<NamespaceState> = await open(log);
  await replica.commit([mkdir('a'), mkdir('b')]);

  // Another machine's events, stamped long ago: they sort before everything this machine wrote.
  const other = new EventWriter(
    ns,
    randomUUID(),
    generateMachineKeyPair().privateKey,
    eventKey,
    {
      seq: 0,
      prev: null,
      clock: {},
      hlc: { wallMs: 0, counter: 0 },
    },
    () => 1000,
  );
  const late = [
    other.emit('Create', mkdir('late-1').body as never),
    other.emit('Create', mkdir('late-2').body as never),
  ];

  await replica.saveCheckpoint();
  await log.append([late[0]!.entry], { sync: false });
  await replica.commit([mkdir('c')]);
  await log.close();

  log = await OpLog.open(dir);
  let folded = 0;
  const counting = {
    ...namespaceProjection,
    evolve: (state: NamespaceState, event: Parameters<typeof namespaceProjection.evolve>[1]) => {
      folded++;
      return namespaceProjection.evolve(state, event);
    },
  };
  replica = await Replica.open(log, ns, eventKey, me, counting);
  assert.equal(folded, 2, 'only what arrived after the checkpoint was replayed (late-1 and c)');
  // The second late event arrives after the restart; the replica folds it live.
  await log.append([late[1]!.entry]);
  replica.applyRemote([late[1]!.signed.event]);
  assert.deepEqual(
    childrenOf(replica.state, ROOT_INODE).map(([name]) => name),
    ['a', 'b', 'c', 'late-1', 'late-2'],
  );
  await replica.saveCheckpoint();
  const resumed = namespaceStateHash(replica.state);
  await log.close();

  log = await OpLog.open(dir);
  assert.equal(
    namespaceStateHash((await open(log)).state),
    resumed,
    'the second checkpoint resumes to the same state',
  );
  assert.equal(await fullReplayHash(log), resumed, 'a full replay agrees');
  await log.close();
});

test('a damaged checkpoint is ignored: the replica replays the whole log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-checkpoint-'));
  dirs.push(dir);
  let log = await OpLog.open(dir);
  const replica = await open(log);
  await replica.commit([mkdir('x'), mkdir('y')]);
  await replica.saveCheckpoint();
  const expected = namespaceStateHash(replica.state);
  const sealed = await log.area('checkpoints').get(ns);
  const damaged = Uint8Array.from(sealed!);
  damaged[damaged.length - 5]! ^= 0xff;
  await log.area('checkpoints').put(ns, damaged);
  await log.close();

  log = await OpLog.open(dir);
  assert.equal(namespaceStateHash((await open(log)).state), expected);
  await log.close();
});
