/**
 * A replica of a master-replica namespace starts from the master's newest snapshot instead of replaying the
 * log, and the store keeps only the newest `snapshot_retention` snapshots.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { homePaths } from '../../../src/config/home-paths.js';
import { newNamespaceId } from '../../../src/crypto/ids.js';
import { CLUSTER_NS, ROOT_INODE } from '../../../src/events/types.js';
import { initHome, type UnlockedHome } from '../../../src/home/home.js';
import { createInvitation } from '../../../src/home/membership.js';
import { startFromNewestSnapshot } from '../../../src/home/replica-start.js';
import { openSync } from '../../../src/home/sync-service.js';
import { childrenOf } from '../../../src/projections/namespace/queries.js';
import { policyStream } from '../../../src/projections/policy/policy-stream.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { Replica } from '../../../src/projections/replica.js';
import { parseCaption } from '../../../src/transport/store/captions.js';
import { listPages } from '../../../src/transport/store/list-pages.js';
import { mkdir, PASSWORD } from './sync-fixtures.js';

const FAST_KDF = { memoryMiB: 8, iterations: 1 };

describe('a replica starts from the newest snapshot', () => {
  let root: string;
  let master: UnlockedHome;
  let replica: UnlockedHome;
  let ns: string;

  const open = (home: UnlockedHome) =>
    Replica.open(home.log, ns, home.keysFor(ns).eventKey, home.machine, namespaceProjection, {
      policy$: policyStream(home.cluster, ns),
    });
  const names = (r: Replica<ReturnType<typeof namespaceProjection.initial>>) =>
    childrenOf(r.state, ROOT_INODE)
      .map(([n]) => n)
      .sort();

  /** The master's sync as its mount runs it: its replica checkpoints into the snapshot. */
  async function masterSync(writes: string[], opts: { snapshot: boolean; retention?: number }) {
    const r = await open(master);
    for (const w of writes) await r.commit([mkdir(w)]);
    const chunks = await master.openChunkStore(ns, master.store);
    const sync = await openSync(master, {
      chunks: new Map([[ns, chunks]]),
      replicas: new Map([[ns, r]]),
      checkpointers: new Map([[ns, r]]),
      ...(opts.retention === undefined ? {} : { snapshotRetention: opts.retention }),
    });
    await sync.engine.sync();
    if (opts.snapshot) await sync.engine.snapshot();
    await sync.close();
    await chunks.close();
    r.close();
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-mr-snap-'));
    const store = { kind: 'local' as const, dir: join(root, 'store') };
    master = await initHome(homePaths(join(root, 'master')), {
      name: 'm',
      store,
      password: PASSWORD,
      kdf: FAST_KDF,
    });
    const { token } = createInvitation(master, { role: 'replica', admin: false, expiresInMs: 60_000 });
    replica = await initHome(homePaths(join(root, 'replica')), {
      name: 'r',
      store,
      password: PASSWORD,
      kdf: FAST_KDF,
      join: { invitation: token },
    });
    const created = newNamespaceId(master.machine.id);
    ns = created.id;
    await master.cluster.commit([
      {
        type: 'NamespaceCreated',
        body: {
          namespace: ns,
          name: 'photos',
          mode: 'master-replica',
          conflict: 'last-write-wins',
          master: master.machine.id,
          createdAtMs: 1,
          nonce: created.nonce,
        },
      },
    ]);
  });
  after(async () => {
    await master.close();
    await replica.close();
    await rm(root, { recursive: true, force: true });
  });

  test('the replica folds only the events after the snapshot, and shows the same tree', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `d${i}`);
    await masterSync(many, { snapshot: true });
    // The replica learns of the namespace from the cluster events; the namespace's own it has not pulled yet.
    await pullCluster();
    const info = replica.cluster.state.namespaces.get(ns);
    assert.notEqual(info, undefined);
    assert.equal(await startFromNewestSnapshot(replica, info!), true);
    const r = await open(replica);
    assert.equal(r.replayedOnOpen, 0, 'every event is in the snapshot');
    assert.deepEqual(names(r), [...many].sort());
    r.close();

    // Later writes without a snapshot: a restart folds just those (its own checkpoint is not older).
    await masterSync(['late-1', 'late-2'], { snapshot: false });
    assert.equal(await startFromNewestSnapshot(replica, replica.cluster.state.namespaces.get(ns)!), false);
    const again = await open(replica);
    assert.equal(again.replayedOnOpen, 2);
    assert.ok(names(again).includes('late-2'));
    again.close();
  });

  test('the store keeps only the newest snapshots (`snapshot_retention`)', async () => {
    for (let i = 0; i < 4; i++) await masterSync([`round-${i}`], { snapshot: true, retention: 2 });
    let metas = 0;
    for await (const page of listPages(master.store)) {
      for (const m of page) {
        const c = parseCaption(m.caption);
        if (c?.type === 'meta' && c.namespace === CLUSTER_NS) metas++;
      }
    }
    assert.equal(metas, 2);
  });

  async function pullCluster() {
    const s = await openSync(replica);
    await s.engine.pull();
    await s.close();
  }
});
