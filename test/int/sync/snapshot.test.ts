import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { homePaths } from '../../../src/config/home-paths.js';
import { CLUSTER_NS } from '../../../src/events/types.js';
import { rebuildHome } from '../../../src/home/rebuild-home.js';
import { openSync } from '../../../src/home/sync-service.js';
import { parseCaption } from '../../../src/transport/store/captions.js';
import { LocalMessageStore } from '../../../src/transport/store/local-store.js';
import { newestSnapshot } from '../../../src/transport/sync/snapshot.js';
import { openNs, PASSWORD, smallFile, twoHomes } from './sync-fixtures.js';

test('a sync leaves a sealed snapshot; a rebuild uses it to tell that the store lost events', async () => {
  const h = await twoHomes();
  const store = await LocalMessageStore.open(h.storeDir);
  try {
    const ra = await openNs(h.a, h.ns);
    await ra.commit(smallFile('a.txt', 'a'));
    const syncA = await openSync(h.a, { replicas: new Map([[h.ns, ra]]) });
    const report = await syncA.engine.sync();
    await syncA.close();
    assert.notEqual(report.snapshot, undefined, 'the first sync that moved events took a snapshot');

    const messages = await store.list(0, 1000);
    const clusterKey = h.a.keysFor(CLUSTER_NS).eventKey;
    const found = await newestSnapshot(store, clusterKey, messages);
    assert.equal(found?.messageId, report.snapshot);
    assert.deepEqual(
      found?.snapshot.namespaces.map((n) => n.name),
      ['docs'],
    );
    assert.equal(found?.snapshot.heads[h.ns]?.[h.a.machine.id], 2);
    assert.equal(await newestSnapshot(store, h.a.keysFor(h.ns).eventKey, messages), undefined, 'sealed');

    // The namespace's op message disappears from the store: a rebuild still succeeds, and says what is missing.
    const op = messages.find((m) => {
      const c = parseCaption(m.caption);
      return c?.type === 'op' && c.namespace === h.ns;
    });
    assert.ok(op !== undefined);
    await store.delete([op.id]);
    const rebuilt = await rebuildHome(homePaths(join(h.root, 'c')), {
      store: { kind: 'local', dir: h.storeDir },
      password: PASSWORD,
      name: 'c',
    });
    assert.deepEqual(rebuilt.namespaces, ['docs']);
    assert.deepEqual(rebuilt.snapshot?.missing, [`${h.ns} ${h.a.machine.id}: 0/2`]);
  } finally {
    await store.close();
    await h.close();
  }
});
