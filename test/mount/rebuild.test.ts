/**
 * Disaster recovery: a tree written through a real mount, the home wiped, `tgcryptfs rebuild` from the store
 * and the password alone, and a remount shows the same tree byte for byte.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assertNoLeftoverMounts,
  type MountHandle,
  manifest,
  q,
  runCli,
  shOk,
  startMount,
  stopMount,
  TEST_PASSWORD,
} from './harness/index.js';

describe('tgcryptfs rebuild', () => {
  let root = '';
  const mounts = new Set<MountHandle>();
  const home = () => join(root, 'home');
  const store = () => join(root, 'store');
  const mnt = () => join(root, 'mnt');
  const env = (password = TEST_PASSWORD) => ({ home: home(), password });

  async function mount(): Promise<MountHandle> {
    const m = await startMount({ home: home(), password: TEST_PASSWORD, mountpoint: mnt() });
    mounts.add(m);
    return m;
  }
  async function unmount(m: MountHandle): Promise<void> {
    const exit = await stopMount(m);
    mounts.delete(m);
    assert.equal(exit.code, 0, `the mount exited cleanly\n${m.stderr()}`);
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tgfs-mount-rebuild-'));
    await mkdir(mnt());
    await mkdir(join(root, 'plain'));
    // The store lives outside the home: it is what survives the loss of the machine.
    const init = await runCli(env(), [
      'machine',
      'init',
      '--name',
      'lost-laptop',
      '--store',
      `local:${store()}`,
    ]);
    assert.equal(init.code, 0, init.stderr);
  });

  after(async () => {
    for (const m of mounts) await stopMount(m).catch(() => undefined);
    if (root === '') return;
    await assertNoLeftoverMounts(root);
    await shOk(`rm -rf ${q(root)}`);
  });

  test('a wiped home rebuilt from the store mounts the same tree byte for byte; a wrong password writes nothing', async () => {
    const plain = join(root, 'plain');
    await shOk(`
      set -e
      cd ${q(plain)}
      mkdir -p tree/a/b/c tree/empty-dir
      : > tree/zero
      printf 'hello\\n' > tree/a/hello.txt
      head -c 100000 /dev/urandom > tree/a/b/medium.bin
      head -c 5000000 /dev/urandom > tree/big.bin
      for i in $(seq 1 40); do printf 'file %s\\n' $i > tree/a/small-$i.txt; done
      ln -s a/hello.txt tree/link
      ln tree/a/hello.txt tree/a/b/hard
      mkfifo tree/fifo
      chmod 600 tree/a/hello.txt
      chmod 750 tree/a/b/medium.bin
      chmod 700 tree/a/b/c
    `);
    const first = await mount();
    await shOk(`tar -C ${q(plain)} -cf - tree | tar -C ${q(mnt())} -xf -`);
    const written = await manifest(mnt());
    assert.match(written, /tree\/big\.bin f 644 5000000 /);
    // Inode numbers and link counts: the same names share the same inode number, before and after.
    const inodes = () => shOk(`cd ${q(mnt())} && find . -printf '%i %P\\n' | sort -k2`);
    const links = () =>
      shOk(
        `stat --cached=never -c '%i %h %F %n' ${q(mnt())}/tree/a/hello.txt ${q(mnt())}/tree/a/b/hard ${q(mnt())}/tree/fifo`,
      );
    const writtenInodes = await inodes();
    const writtenLinks = await links();
    assert.match(writtenLinks, /^(\d+) 2 regular file .*\n\1 2 regular file .*\n\d+ 1 fifo /);
    // Unmounting pushes everything, the cluster's own events (machine, namespace) included: nothing more is
    // needed before the machine is lost.
    await unmount(first);

    await shOk(`rm -rf ${q(home())}`);
    const wrong = await runCli(env('not the password'), ['rebuild', '--store', `local:${store()}`]);
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /wrong password/);
    await assert.rejects(access(home()), 'a wrong password leaves no home behind');

    const rebuilt = await runCli(env(), ['rebuild', '--store', `local:${store()}`, '--name', 'new-laptop']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout, /^rebuilt home as machine new-laptop /);
    // The lost machine was the cluster's only one: the new one took over its standalone namespace.
    assert.match(rebuilt.stdout, /\ntook over lost-laptop \(/);

    const second = await mount();
    assert.equal(await manifest(mnt()), written);
    assert.equal(await inodes(), writtenInodes);
    assert.equal(await links(), writtenLinks);
    await unmount(second);
  });
});
