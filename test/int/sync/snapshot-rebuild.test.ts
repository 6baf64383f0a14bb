import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { homePaths } from '../../../src/config/home-paths.js';
import type { TgfsEvent } from '../../../src/events/types.js';
import { CLUSTER_NS } from '../../../src/events/types.js';
import { unlockHome } from '../../../src/home/home.js';
import { rebuildHome } from '../../../src/home/rebuild-home.js';
import { openSync } from '../../../src/home/sync-service.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceProjection } from '../../../src/projections/projection-specs.js';
import { Replica } from '../../../src/projections/replica.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { parseCaption } from '../../../src/transport/store/captions.js';
import { LocalMessageStore } from '../../../src/transport/store/local-store.js';
import { readManifestDirectory } from '../../../src/transport/sync/manifest-directory.js';
import { mkdir, openNs, PASSWORD, twoHomes } from './sync-fixtures.js';

test('a rebuild starts from the newest snapshot’s checkpoint: its first open folds only the events after it', async () => {
  const h = await twoHomes();
  try {
    const ra = await openNs(h.a, h.ns);
    for (let i = 0; i < 30; i++) await ra.commit([mkdir(`before-${i}`)]);
    const syncA = await openSync(h.a, {
      replicas: new Map([[h.ns, ra]]),
      checkpointers: new Map([[h.ns, ra]]),
    });
    await syncA.engine.sync();
    // An unpushed commit keeps the checkpoint out of a snapshot: another machine could not find that event.
    await ra.commit([mkdir('not-pushed-yet')]);
    assert.equal(await ra.checkpointIfPushed(), undefined);
    await syncA.engine.push();
    await syncA.engine.snapshot();
    const snapshotId = await syncA.engine.snapshot();

    // The manifest's directory names the namespaces and points at the newest snapshot; older updates are gone.
    const store = await LocalMessageStore.open(h.storeDir);
    const clusterKey = h.a.keysFor(CLUSTER_NS).eventKey;
    const directory = await readManifestDirectory(store, clusterKey);
    assert.equal(directory?.snapshot, snapshotId);
    assert.deepEqual(
      directory?.namespaces.map((n) => n.name),
      ['docs'],
    );
    const manifests = (await store.list(0, 1000)).filter((m) => parseCaption(m.caption)?.type === 'manifest');
    assert.equal(manifests.length, 2, 'the first manifest and one directory update');
    assert.equal(await readManifestDirectory(store, h.a.keysFor(h.ns).eventKey), undefined, 'sealed');
    await store.close();

    for (let i = 0; i < 4; i++) await ra.commit([mkdir(`after-${i}`)]);
    await syncA.engine.sync();
    await syncA.close();

    const paths = homePaths(join(h.root, 'rebuilt'));
    await rebuildHome(paths, { store: { kind: 'local', dir: h.storeDir }, password: PASSWORD, name: 'new' });
    const home = await unlockHome(paths, PASSWORD);
    try {
      let folded = 0;
      const counting = {
        ...namespaceProjection,
        evolve: (state: NamespaceState, event: TgfsEvent) => {
          folded++;
          return namespaceProjection.evolve(state, event);
        },
      };
      const rebuilt: Replica<NamespaceState> = await Replica.open(
        home.log,
        h.ns,
        home.keysFor(h.ns).eventKey,
        home.machine,
        counting,
      );
      assert.equal(folded, 4, 'only the four events after the snapshot were folded');
      assert.equal(namespaceStateHash(rebuilt.state), namespaceStateHash(ra.state));
    } finally {
      await home.close();
    }
  } finally {
    await h.close();
  }
});
