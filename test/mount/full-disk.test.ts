/**
 * A home on a full disk (issue 11): a small tmpfs, mounted by the test, holds the home; the mount point is
 * elsewhere. Filling the disk gives the writer ENOSPC, earlier files stay intact, the mount keeps serving and
 * takes writes again once space is freed, `df` shows the small disk, and the mount unmounts cleanly — in the
 * foreground and as a daemon. Needs root (to mount the tmpfs).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_RESERVE_BYTES } from '../../src/disk/space-reserve.js';
import { mountSmallDisk, SMALL_DISK_SKIP, type SmallDisk } from '../helpers/small-disk.js';
import {
  assertNoLeftoverMounts,
  fuseMountAt,
  initHome,
  type MountHandle,
  q,
  runCli,
  sh,
  sha256,
  shOk,
  startMount,
  stopMount,
  TEST_PASSWORD,
} from './harness/index.js';

const MiB = 1024 * 1024;
const NO_SPACE = /No space left on device/;

interface FullDiskSetup {
  root: string;
  disk: SmallDisk;
  home: string;
  mnt: string;
  plain: string;
  /** The foreground mount running, stopped before the checks for leftovers. */
  mount?: MountHandle | undefined;
}

/**
 * A temp root with mnt/ and plain/, and a 64 MiB tmpfs holding the home. Afterwards: the mount is stopped (a
 * foreground one by its handle, a daemon by `unmount`), no FUSE mount may be left, the tmpfs goes.
 */
function fullDiskSetup(name: string): FullDiskSetup {
  const s = {} as FullDiskSetup;
  before(async () => {
    s.root = await mkdtemp(join(tmpdir(), `tgfs-mount-${name}-`));
    s.mnt = join(s.root, 'mnt');
    s.plain = join(s.root, 'plain');
    await mkdir(s.mnt);
    await mkdir(s.plain);
    s.disk = await mountSmallDisk(64);
    s.home = join(s.disk.dir, 'home');
    await initHome(s.home, TEST_PASSWORD);
    await shOk(`head -c ${3 * MiB} /dev/urandom > ${q(join(s.plain, 'early.bin'))}`);
    await shOk(`head -c ${MiB} /dev/urandom > ${q(join(s.plain, 'after.bin'))}`);
  });
  after(async () => {
    if (s.root === undefined) return;
    if (s.mount !== undefined) await stopMount(s.mount);
    if ((await fuseMountAt(s.mnt)) !== undefined)
      await runCli({ home: s.home, password: TEST_PASSWORD }, ['unmount', s.mnt]);
    await assertNoLeftoverMounts(s.root);
    await s.disk?.unmount();
    await shOk(`rm -rf ${q(s.root)}`);
  });
  return s;
}

/** Size and available bytes as `df` shows them for `dir`. */
async function df(dir: string): Promise<[number, number]> {
  const [size, avail] = (await shOk(`df -B1 --output=size,avail ${q(dir)} | tail -1`)).trim().split(/\s+/);
  return [Number(size), Number(avail)];
}

async function assertDfShowsTheSmallDisk(s: FullDiskSetup): Promise<void> {
  const [size, avail] = await df(s.mnt);
  const disk = await statfs(s.disk.dir);
  assert.equal(size, disk.blocks * disk.bsize, 'df shows the size of the disk holding the home');
  const expected = Math.max(0, disk.bavail * disk.bsize - DEFAULT_RESERVE_BYTES);
  assert.ok(
    Math.abs(avail - expected) <= 2 * MiB,
    `df avail ${avail}, the disk has ${expected} beyond the reserve`,
  );
}

/** dd of 100 MiB onto the 64 MiB disk: the writer is told ENOSPC; earlier files and the mount are fine. */
async function fillThroughTheMount(s: FullDiskSetup, early: string): Promise<void> {
  const m = (p: string) => q(join(s.mnt, p));
  await shOk(`cp ${q(join(s.plain, 'early.bin'))} ${m('early.bin')} && printf 'a note' > ${m('note.txt')}`);
  const dd = await sh(`dd if=/dev/urandom of=${m('big')} bs=1M count=100`);
  assert.notEqual(dd.code, 0, 'dd fails');
  assert.match(dd.stderr, NO_SPACE);
  assert.equal(await sha256(join(s.mnt, 'early.bin')), early, 'earlier files stay intact');
  assert.equal(await shOk(`cat ${m('note.txt')}`), 'a note');
  assert.deepEqual((await shOk(`ls ${q(s.mnt)}`)).split('\n').filter(Boolean).sort(), [
    'big',
    'early.bin',
    'note.txt',
  ]);
  await shOk(`rm ${m('big')}`);
  await shOk(`cp ${q(join(s.plain, 'after.bin'))} ${m('after.bin')}`);
  assert.equal(await sha256(join(s.mnt, 'after.bin')), await sha256(join(s.plain, 'after.bin')));
}

describe('a mount whose home is on a full disk', { skip: SMALL_DISK_SKIP }, () => {
  const s = fullDiskSetup('full-disk');
  let early = '';
  const m = (p: string) => q(join(s.mnt, p));
  const start = async () => {
    s.mount = await startMount({ home: s.home, password: TEST_PASSWORD, mountpoint: s.mnt });
  };
  before(async () => {
    early = await sha256(join(s.plain, 'early.bin'));
    await start();
  });

  test('filling it through the mount gives dd ENOSPC; earlier files stay intact, the mount serves on and takes writes', async () => {
    await fillThroughTheMount(s, early);
    assert.doesNotMatch(s.mount!.stderr(), /EIO|unexpected error/);
  });

  test('while something else fills the disk, writes fail with ENOSPC and reads go on; once freed, writes work again and nothing acknowledged is lost', async () => {
    // The read cache gives its space back to new content, so fill again until a write finds none.
    let blocked: Awaited<ReturnType<typeof sh>> | undefined;
    for (let round = 0; round < 10 && blocked === undefined; round++) {
      await s.disk.fill();
      const r = await sh(`head -c ${MiB} /dev/urandom > ${m('blocked.bin')}`);
      if (r.code !== 0) blocked = r;
    }
    assert.ok(blocked !== undefined, 'a write on the full disk fails');
    assert.match(blocked.stderr, NO_SPACE);
    // Metadata has the last bytes to itself, until those are gone too.
    const touched: string[] = [];
    let refused: Awaited<ReturnType<typeof sh>> | undefined;
    for (let i = 0; i < 400 && refused === undefined; i++) {
      if (i % 50 === 0) await s.disk.fill();
      const r = await sh(`touch ${m(`t${i}`)}`);
      if (r.code === 0) touched.push(`t${i}`);
      else refused = r;
    }
    assert.ok(refused !== undefined, 'creating files on a disk full to the last byte fails');
    assert.match(refused.stderr, NO_SPACE);
    assert.equal(await sha256(join(s.mnt, 'early.bin')), early, 'reads go on');
    assert.equal(await shOk(`cat ${m('note.txt')}`), 'a note');

    await s.disk.drain();
    await shOk(`touch ${m('t-after')} && cp ${q(join(s.plain, 'after.bin'))} ${m('again.bin')}`);
    assert.equal(await sha256(join(s.mnt, 'again.bin')), await sha256(join(s.plain, 'after.bin')));
    await assertDfShowsTheSmallDisk(s);

    const stopped = await stopMount(s.mount!);
    s.mount = undefined;
    assert.equal(stopped.code, 0, 'the mount unmounts cleanly');
    await start();
    assert.equal(await sha256(join(s.mnt, 'early.bin')), early);
    assert.equal(await sha256(join(s.mnt, 'again.bin')), await sha256(join(s.plain, 'after.bin')));
    const names = new Set((await shOk(`ls ${q(s.mnt)}`)).split('\n'));
    for (const name of [...touched, 't-after', 'after.bin', 'note.txt'])
      assert.ok(names.has(name), `${name} is still there after a remount`);
  });
});

describe('a daemon mount whose home is on a full disk', { skip: SMALL_DISK_SKIP }, () => {
  const s = fullDiskSetup('full-disk-daemon');
  const env = () => ({ home: s.home, password: TEST_PASSWORD });

  test('survives the disk filling up (its log is on that disk too), and `unmount` stops it cleanly', async () => {
    const started = await runCli(env(), ['mount', '--daemon', s.mnt]);
    assert.equal(started.code, 0, started.stderr);
    const { pid } = JSON.parse(await shOk(`cat ${q(s.home)}/mounts/*.json`)) as { pid: number };

    await fillThroughTheMount(s, await sha256(join(s.plain, 'early.bin')));
    await assertDfShowsTheSmallDisk(s);
    assert.equal((await sh(`kill -0 ${pid}`)).code, 0, 'the daemon is still running');

    const stopped = await runCli(env(), ['unmount', s.mnt]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(await fuseMountAt(s.mnt), undefined);
    assert.notEqual((await sh(`kill -0 ${pid}`)).code, 0, 'the daemon exited');
    assert.doesNotMatch(await readFile(join(s.home, 'logs', 'mount.log'), 'utf8'), /EIO|unexpected error/);
  });
});
