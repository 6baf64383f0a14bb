/**
 * The policy seam through the real intake: a Replica on a real op log, following its cluster replica's state.
 * The three cases are today's only mode rule (a master-replica namespace has one writer) seen from each side.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventWriter } from '../../../src/events/event-writer.js';
import { OpLog } from '../../../src/events/op-log.js';
import { generateMachineKeyPair } from '../../../src/events/signing.js';
import { CLUSTER_NS, type MachineId, ROOT_INODE } from '../../../src/events/types.js';
import type { ClusterState } from '../../../src/projections/cluster/state.js';
import { childrenOf } from '../../../src/projections/namespace/queries.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import { policyStream } from '../../../src/projections/policy/policy-stream.js';
import { refusalKey } from '../../../src/projections/policy/refusals.js';
import { clusterProjection, namespaceProjection } from '../../../src/projections/projection-specs.js';
import { Replica } from '../../../src/projections/replica.js';
import { mkdir } from '../sync/sync-fixtures.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ns = randomBytes(16).toString('hex');
const nsKey = randomBytes(32);
const clusterKey = randomBytes(32);
const machine = () => ({ id: randomUUID(), privateKey: generateMachineKeyPair().privateKey });
const master = machine();
const replicaMachine = machine();

/** A writer outside any replica: what a modified client holding the password signs. */
function writerFor(
  m: { id: MachineId; privateKey: Uint8Array },
  namespace: string,
  key: Uint8Array,
  nowMs: number,
) {
  return new EventWriter(
    namespace,
    m.id,
    m.privateKey,
    key,
    { seq: 0, prev: null, clock: {}, hlc: { wallMs: 0, counter: 0 } },
    () => nowMs,
  );
}

function announce(m: { id: MachineId; privateKey: Uint8Array }, masterId: MachineId, nowMs: number) {
  const e = writerFor(m, CLUSTER_NS, clusterKey, nowMs).emit('NamespaceCreated', {
    namespace: ns,
    name: 'shared',
    mode: 'master-replica',
    conflict: 'last-write-wins',
    master: masterId,
    createdAtMs: nowMs,
  });
  return { entry: e.entry, event: e.signed.event };
}

async function homeOf(m: { id: MachineId; privateKey: Uint8Array }) {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-policy-'));
  dirs.push(dir);
  const log = await OpLog.open(dir);
  const cluster: Replica<ClusterState> = await Replica.open(
    log,
    CLUSTER_NS,
    clusterKey,
    m,
    clusterProjection,
  );
  const openNs = () =>
    Replica.open(log, ns, nsKey, m, namespaceProjection, { policy$: policyStream(cluster, ns) });
  return { log, cluster, openNs };
}

const names = (s: NamespaceState) => childrenOf(s, ROOT_INODE).map(([name]) => name);

test('a replica of a master-replica namespace cannot commit: READ_ONLY, and nothing is signed or logged', async () => {
  const home = await homeOf(replicaMachine);
  await home.cluster.ingest([announce(master, master.id, 1_000)]);
  const replica = await home.openNs();
  await assert.rejects(replica.commit([mkdir('mine')]), { code: 'READ_ONLY' });
  assert.equal(await home.log.headOf(ns, replicaMachine.id), undefined);
  assert.deepEqual(names(replica.state), []);
  // The refusal did not wedge the intake: the master's events still arrive and show.
  const fromMaster = writerFor(master, ns, nsKey, 2_000).emit('Create', mkdir('from-master').body as never);
  await replica.ingest([{ entry: fromMaster.entry, event: fromMaster.signed.event }]);
  assert.deepEqual(names(replica.state), ['from-master']);
  await home.log.close();
});

test('events a replica signed outside FUSE stay in the master’s log, out of its tree, with the reason', async () => {
  const home = await homeOf(master);
  await home.cluster.commit([
    {
      type: 'NamespaceCreated',
      body: {
        namespace: ns,
        name: 'shared',
        mode: 'master-replica',
        conflict: 'last-write-wins',
        master: master.id,
        createdAtMs: 1,
      },
    },
  ]);
  const replica = await home.openNs();
  await replica.commit([mkdir('by-master')]);
  const forged = writerFor(replicaMachine, ns, nsKey, Date.now()).emit(
    'Create',
    mkdir('forged').body as never,
  );
  const fresh = await replica.ingest([{ entry: forged.entry, event: forged.signed.event }]);
  assert.deepEqual(fresh, [forged.signed.id], 'kept in the log: the author’s chain stays whole');
  assert.equal(await home.log.has(ns, forged.signed.id), true);
  assert.deepEqual(names(replica.state), ['by-master']);
  const refusal = replica.state.refused.get(refusalKey(replicaMachine.id, 1));
  assert.equal(refusal?.code, 'READ_ONLY');
  // A restart (from its checkpoint, or a full replay) refuses it again.
  await replica.saveCheckpoint();
  const reopened = await home.openNs();
  assert.deepEqual(names(reopened.state), ['by-master']);
  assert.equal(reopened.state.refused.size, 1);
  await home.log.area('checkpoints').del(ns);
  assert.deepEqual(names((await home.openNs()).state), ['by-master']);
  await home.log.close();
});

test('when the cluster state names another master, the namespace re-folds what its log already holds', async () => {
  const home = await homeOf(master);
  await home.cluster.ingest([announce(master, master.id, 5_000)]);
  const replica = await home.openNs();
  await replica.commit([mkdir('by-first-master')]);
  const other = writerFor(replicaMachine, ns, nsKey, Date.now()).emit(
    'Create',
    mkdir('by-second').body as never,
  );
  await replica.ingest([{ entry: other.entry, event: other.signed.event }]);
  assert.deepEqual(names(replica.state), ['by-first-master']);
  // An earlier announcement of the same namespace wins the cluster reducer (canonical-earliest).
  await home.cluster.ingest([announce(replicaMachine, replicaMachine.id, 1_000)]);
  await replica.settled();
  assert.deepEqual(names(replica.state), ['by-second']);
  assert.equal(replica.state.refused.has(refusalKey(master.id, 1)), true);
  await assert.rejects(replica.commit([mkdir('too-late')]), { code: 'READ_ONLY' });
  await home.log.close();
});
