/**
 * The policy seam through the real intake: a Replica on a real op log, following its cluster replica's state.
 * A master-replica namespace has one writer, seen from each side, and its master moves only by an admin's
 * MasterChanged, never by a backdated re-announcement.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { machineIdOf, newNamespaceId } from '../../../src/crypto/ids.js';
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

const nsKey = randomBytes(32);
const clusterKey = randomBytes(32);
const machine = () => {
  const keys = generateMachineKeyPair();
  return { id: machineIdOf(keys.publicKey), ...keys };
};
const master = machine();
const replicaMachine = machine();
const { id: ns, nonce } = newNamespaceId(master.id);

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

type Machine = ReturnType<typeof machine>;
const joinOf = (m: Machine) =>
  ({
    type: 'MachineJoined',
    body: { machine: m.id, name: m.id.slice(0, 4), publicKey: m.publicKey, createdAtMs: 1 },
  }) as const;

/**
 * The cluster events every test starts from: the master creates the cluster and admits the replica; the
 * master (by default) announces the namespace. Signed once, so every home ingests the same events.
 */
function clusterEvents(nowMs: number) {
  const byMaster = writerFor(master, CLUSTER_NS, clusterKey, nowMs);
  const byReplica = writerFor(replicaMachine, CLUSTER_NS, clusterKey, nowMs);
  const signed = [
    byMaster.emit(joinOf(master).type, joinOf(master).body),
    byMaster.emit('ClusterCreated', { cluster: 'test', createdAtMs: nowMs }),
    byReplica.emit(joinOf(replicaMachine).type, joinOf(replicaMachine).body),
    byMaster.emit('MachineAdmitted', { machine: replicaMachine.id, publicKey: replicaMachine.publicKey }),
    byMaster.emit('NamespaceCreated', {
      namespace: ns,
      name: 'shared',
      mode: 'master-replica',
      conflict: 'last-write-wins',
      master: master.id,
      createdAtMs: nowMs,
      nonce,
    }),
  ];
  return {
    entries: signed.map((e) => ({ entry: e.entry, event: e.signed.event })),
    byMaster,
    byReplica,
  };
}
const asEntry = (e: ReturnType<EventWriter['emit']>) => ({ entry: e.entry, event: e.signed.event });

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
  await home.cluster.ingest(clusterEvents(1_000).entries);
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
  await home.cluster.ingest(clusterEvents(1_000).entries);
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

test('an admin’s MasterChanged moves the role and re-folds the log; a backdated re-announcement does not', async () => {
  const home = await homeOf(master);
  const cluster = clusterEvents(5_000);
  await home.cluster.ingest(cluster.entries);
  const replica = await home.openNs();
  await replica.commit([mkdir('by-first-master')]);
  const other = writerFor(replicaMachine, ns, nsKey, Date.now()).emit(
    'Create',
    mkdir('by-second').body as never,
  );
  await replica.ingest([asEntry(other)]);
  assert.deepEqual(names(replica.state), ['by-first-master']);

  // The replica re-announces the namespace with itself as master, stamped before everything: refused.
  const seized = cluster.byReplica.emit('NamespaceCreated', {
    namespace: ns,
    name: 'shared',
    mode: 'master-replica',
    conflict: 'last-write-wins',
    master: replicaMachine.id,
    createdAtMs: 1,
  });
  const backdated = { ...asEntry(seized), event: { ...seized.signed.event, hlc: { wallMs: 1, counter: 0 } } };
  await home.cluster.ingest([backdated]);
  await replica.settled();
  assert.deepEqual(names(replica.state), ['by-first-master']);
  assert.equal(home.cluster.state.namespaces.get(ns)?.master, master.id);
  assert.notEqual(home.cluster.state.refused.get(refusalKey(replicaMachine.id, 2)), undefined);
  // It cannot promote itself either: only an admin can.
  await home.cluster.ingest([
    asEntry(
      cluster.byReplica.emit('MasterChanged', {
        namespace: ns,
        master: replicaMachine.id,
        outgoingUpTo: 0,
        incomingAfter: 0,
      }),
    ),
  ]);
  assert.equal(home.cluster.state.refused.get(refusalKey(replicaMachine.id, 3))?.code, 'NOT_ADMIN');

  // The admin promotes the replica. The old master's work stays; the replica's event from before its term
  // still does not count; its new ones do; the old master is read-only now.
  await home.cluster.ingest([
    asEntry(
      cluster.byMaster.emit('MasterChanged', {
        namespace: ns,
        master: replicaMachine.id,
        outgoingUpTo: 1,
        incomingAfter: 1,
      }),
    ),
  ]);
  await replica.settled();
  assert.deepEqual(names(replica.state), ['by-first-master']);
  assert.equal(replica.state.refused.has(refusalKey(replicaMachine.id, 1)), true);
  await assert.rejects(replica.commit([mkdir('too-late')]), { code: 'READ_ONLY' });
  const byNewMaster = writerFor(replicaMachine, ns, nsKey, Date.now());
  byNewMaster.emit('Create', mkdir('skipped').body as never); // seq 1 again: the writer restarts its chain here
  await replica.ingest([asEntry(byNewMaster.emit('Create', mkdir('by-new-master').body as never))]);
  assert.deepEqual(names(replica.state).sort(), ['by-first-master', 'by-new-master']);
  await home.log.close();
});
