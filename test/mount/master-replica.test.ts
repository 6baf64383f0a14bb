/**
 * Master-replica on real mounts: two homes on one local store, each mounted by its own CLI process. The
 * replica mounts read-only without being told, sees the master's writes after a sync, and after `cluster
 * promote` the roles swap while the old master's files stay.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { assertNoLeftoverMounts } from './harness/fuse-mounts.js';
import { type MountHandle, startMount, stopMount } from './harness/mount-process.js';
import { TEST_PASSWORD } from './harness/mount-suite.js';
import { q, sh, shOk } from './harness/sh.js';

describe('a master-replica namespace on two machines', () => {
  let root = '';
  const running = new Set<MountHandle>();
  const home = (name: string) => ({ home: join(root, name), password: TEST_PASSWORD });
  const mnt = (name: string) => join(root, `mnt-${name}`);
  const cli = async (name: string, ...args: string[]) => {
    const r = await runCli(home(name), args);
    assert.equal(r.code, 0, `${args.join(' ')} on ${name}: ${r.stderr}`);
    return r.stdout;
  };
  const mount = async (name: string) => {
    const handle = await startMount({
      ...home(name),
      mountpoint: mnt(name),
      namespace: 'photos',
      extraArgs: [],
    });
    running.add(handle);
    return handle;
  };
  const unmount = async (handle: MountHandle) => {
    await stopMount(handle);
    running.delete(handle);
  };
  let replicaId = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-mount-mr-'));
    for (const n of ['master', 'replica']) await mkdir(mnt(n));
    const store = `local:${join(root, 'store')}`;
    await cli('master', 'machine', 'init', '--name', 'master', '--store', store);
    await cli('master', 'namespace', 'create', 'photos', '--type', 'master-replica');
    const { token } = JSON.parse(await cli('master', 'cluster', 'invite', '--role', 'replica', '--json'));
    const joined = JSON.parse(
      await cli(
        'replica',
        'machine',
        'init',
        '--name',
        'replica',
        '--store',
        store,
        '--token',
        token,
        '--json',
      ),
    );
    replicaId = joined.id;
    await cli('master', 'sync', 'now');
    await cli('replica', 'sync', 'now');
  });

  after(async () => {
    for (const handle of running) await stopMount(handle).catch(() => undefined);
    if (root === '') return;
    await assertNoLeftoverMounts(root);
    await shOk(`rm -rf ${q(root)}`);
  });

  test('the replica mounts read-only, from the master’s snapshot, and shows what the master wrote', async () => {
    // The master snapshots at every sync round of its mount (each second here).
    await shOk(
      `sed -i 's/sync_interval_secs: 60/sync_interval_secs: 1/' ${q(join(home('master').home, 'config.yaml'))}`,
    );
    const master = await mount('master');
    await shOk(
      `mkdir ${q(join(mnt('master'), 'album'))} && printf 'from the master' > ${q(join(mnt('master'), 'album/a.txt'))}`,
    );
    for (let i = 0; i < 10; i++) await shOk(`mkdir ${q(join(mnt('master'), `album/d${i}`))}`);
    await cli('master', 'sync', 'now'); // answered by the running mount over its control socket
    await new Promise((r) => setTimeout(r, 1500));
    await cli('master', 'sync', 'now'); // a round after the interval: it writes the snapshot
    await unmount(master);

    const replica = await mount('replica');
    // It pulled the master's events and took the snapshot instead of folding them one by one.
    assert.match(replica.stderr(), /photos: a replica, 0 events folded from the log after the snapshot/);
    assert.equal(await shOk(`cat ${q(join(mnt('replica'), 'album/a.txt'))}`), 'from the master');
    const write = await sh(`touch ${q(join(mnt('replica'), 'album/b.txt'))}`);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Read-only file system/);
    await unmount(replica);
  });

  test('cluster promote moves the master role; the old master’s files stay and it becomes read-only', async () => {
    await cli('master', 'cluster', 'promote', replicaId, '--namespace', 'photos');
    await cli('replica', 'sync', 'now');
    const status = JSON.parse(await cli('replica', 'cluster', 'status', '--json'));
    assert.deepEqual(
      status.namespaces.map((n: { name: string; master: string }) => [n.name, n.master]),
      [['photos', replicaId]],
    );

    const replica = await mount('replica');
    await shOk(`printf 'from the new master' > ${q(join(mnt('replica'), 'album/b.txt'))}`);
    assert.equal(await shOk(`cat ${q(join(mnt('replica'), 'album/a.txt'))}`), 'from the master');
    await cli('replica', 'sync', 'now');
    await unmount(replica);

    await cli('master', 'sync', 'now');
    const old = await mount('master');
    assert.equal(await shOk(`cat ${q(join(mnt('master'), 'album/b.txt'))}`), 'from the new master');
    const write = await sh(`touch ${q(join(mnt('master'), 'album/c.txt'))}`);
    assert.match(write.stderr, /Read-only file system/);
    await unmount(old);
  });

  test('while a mount holds the home, cluster status, members, invite and admit are answered by it', async () => {
    const master = await mount('master');
    const status = JSON.parse(await cli('master', 'cluster', 'status', '--json'));
    assert.equal(status.machine.name, 'master');
    const members = JSON.parse(await cli('master', 'machine', 'list', '--json'));
    assert.deepEqual(members.map((m: { name: string }) => m.name).sort(), ['master', 'replica']);
    const { token } = JSON.parse(await cli('master', 'cluster', 'invite', '--json'));
    assert.match(token, /^tgfs-invite-1\./);
    const unknown = await runCli(home('master'), ['cluster', 'admit', 'no-such-machine']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no machine no-such-machine/);
    // Removal may change the password: it needs the mount stopped, and says so.
    const remove = await runCli(home('master'), ['cluster', 'remove', replicaId]);
    assert.equal(remove.code, 4);
    await unmount(master);
  });
});
