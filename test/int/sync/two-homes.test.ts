import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CLUSTER_NS, ROOT_INODE } from '../../../src/events/types.js';
import { openSync } from '../../../src/home/sync-service.js';
import { namespaceByName } from '../../../src/projections/cluster/queries.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { LocalMessageStore } from '../../../src/transport/store/local-store.js';
import {
  logIds,
  mkdir,
  newInode,
  openChunks,
  openNs,
  replayedHash,
  smallFile,
  type TwoHomes,
  twoHomes,
} from './sync-fixtures.js';

describe('sync between two homes sharing one store folder', () => {
  let h: TwoHomes;
  before(async () => {
    h = await twoHomes();
  });
  after(() => h.close());

  test('cluster events and a namespace with chunked content written by one machine are pulled by the other', async () => {
    const store = await LocalMessageStore.open(h.storeDir);
    const ra = await openNs(h.a, h.ns);
    const chunksA = await openChunks(h.a, h.ns, store);
    const content = randomBytes(300_000);
    const extents = await chunksA.putFile(content);
    const file = newInode();
    const dir = newInode();
    await ra.commit([
      mkdir('photos', dir),
      {
        type: 'Create',
        body: {
          inode: file,
          parent: dir,
          name: 'big.bin',
          kind: 'file',
          mode: 0o600,
          uid: 0,
          gid: 0,
          mtimeMs: 5,
        },
      },
      {
        type: 'Write',
        body: { inode: file, sizeBytes: content.length, extents, mtimeMs: 6, path: '/photos/big.bin' },
      },
      ...smallFile('note.txt', 'hello'),
    ]);
    const syncA = await openSync(h.a, {
      chunks: new Map([[h.ns, chunksA]]),
      replicas: new Map([[h.ns, ra]]),
    });
    const pushed = await syncA.engine.sync();
    assert.equal(
      pushed.push.events,
      1 + 1 + 1 + 5,
      'MachineJoined, ClusterCreated, NamespaceCreated and five namespace events',
    );
    assert.ok(pushed.push.packs >= 1, 'the chunks went up as packs');

    // b has its namespace replica open (as a mount would) before the pull: events arrive live.
    const rb = await openNs(h.b, h.ns);
    const syncB = await openSync(h.b, { replicas: new Map([[h.ns, rb]]) });
    const pulled = await syncB.engine.sync();
    assert.equal(pulled.pull.rejected.length, 0);
    assert.equal(pulled.pull.held.length, 0);
    assert.equal(namespaceByName(h.b.cluster.state, 'docs')?.id, h.ns);
    assert.deepEqual([...h.b.cluster.state.members.keys()].sort(), [h.a.machine.id, h.b.machine.id].sort());
    assert.equal(h.b.cluster.state.members.get(h.b.machine.id)?.admission?.how, 'invitation');
    assert.deepEqual(await logIds(h.b, h.ns), await logIds(h.a, h.ns));
    assert.equal(namespaceStateHash(rb.state), namespaceStateHash(ra.state), 'the live replica converged');
    assert.equal(
      await replayedHash(h.b, h.ns),
      namespaceStateHash(ra.state),
      'and so does a replay of b’s log',
    );
    await syncB.close();

    // b's chunk index now locates a's packs: the content reads back byte for byte.
    const chunksB = await openChunks(h.b, h.ns, store);
    assert.deepEqual(Buffer.from(await chunksB.readRange(extents, 0, content.length)), content);

    // And back: b writes, a pulls into its open replica.
    await rb.commit(smallFile('from-b.txt', 'written on b', ROOT_INODE));
    const syncB2 = await openSync(h.b, {
      chunks: new Map([[h.ns, chunksB]]),
      replicas: new Map([[h.ns, rb]]),
    });
    await syncB2.engine.sync();
    const back = await syncA.engine.sync();
    assert.equal(back.pull.events, 1 + 2, "b's MachineJoined and its two events");
    assert.equal(namespaceStateHash(ra.state), namespaceStateHash(rb.state));
    assert.deepEqual(await logIds(h.a, CLUSTER_NS), await logIds(h.b, CLUSTER_NS));

    // Nothing is pending on either side, and a second round moves nothing.
    assert.equal(await h.a.log.countPending(h.ns), 0);
    assert.equal(await h.b.log.countPending(CLUSTER_NS), 0);
    const idle = await syncA.engine.sync();
    assert.deepEqual([idle.push.events, idle.pull.events], [0, 0]);

    const history = await syncA.state.history(100);
    assert.equal(history.filter((e) => e.dir === 'push').length, 8);
    assert.equal(history.filter((e) => e.dir === 'pull').length, 3);
    await syncA.close();
    await syncB2.close();
    await chunksA.close();
    await chunksB.close();
    await store.close();
  });
});
