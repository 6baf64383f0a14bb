import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callControl } from '../../../src/home/control/control-client.js';
import { openNamespaceSession, resolveNamespace } from '../../../src/home/namespace-session.js';
import { openSync, type SyncStatusView, startSyncService } from '../../../src/home/sync-service.js';
import type { SyncReport } from '../../../src/transport/sync/sync-engine.js';
import { runCli } from '../../helpers/run-cli.js';
import { logIds, openNs, PASSWORD, smallFile, twoHomes } from './sync-fixtures.js';

test('a running session syncs in the background and answers sync commands over its control socket', async () => {
  const h = await twoHomes();
  try {
    const info = await resolveNamespace(h.a, 'docs');
    const session = await openNamespaceSession(h.a, info);
    const service = await startSyncService(h.a, session, { intervalMs: 60_000 });
    try {
      await session.replica.commit(smallFile('x.txt', 'from the mount'));
      const env = { TGCRYPTFS_HOME: h.a.paths.root, TGCRYPTFS_PASSWORD: PASSWORD };

      // The home's log is held by this process, as by a mount: the CLI asks over the socket.
      const now = await runCli(['sync', 'now', '--json'], env);
      assert.deepEqual([now.code, now.stderr], [0, '']);
      const report = JSON.parse(now.stdout) as SyncReport;
      assert.equal(report.pull.rejected.length, 0);
      assert.equal(await h.a.log.countPending(info.id), 0, 'the namespace events went up');

      const status = JSON.parse((await runCli(['sync', 'status', '--json'], env)).stdout) as SyncStatusView;
      assert.equal(status.pending.events, 0);
      assert.notEqual(status.lastPush, null);
      const history = (await callControl(h.a.paths.controlSocket, 'sync.history', { limit: 50 })) as {
        type: string;
        path: string | null;
      }[];
      assert.ok(history.some((e) => e.type === 'Write' && e.path === '/x.txt'));
    } finally {
      await service.close();
      await session.close();
    }

    // What the session pushed (cluster events included) reaches the other machine.
    const rb = await openNs(h.b, info.id);
    const syncB = await openSync(h.b, { replicas: new Map([[info.id, rb]]) });
    await syncB.engine.sync();
    await syncB.close();
    assert.deepEqual(await logIds(h.b, info.id), await logIds(h.a, info.id));
    assert.ok((await logIds(h.b, info.id)).length >= 2);
  } finally {
    await h.close();
  }
});
