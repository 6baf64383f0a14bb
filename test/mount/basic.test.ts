/**
 * POSIX behaviour through a real mount, driven only from child processes (cp, dd, mv, tar, coreutils).
 * Tests in this file share one mount and run in order; each leaves what it made for the final remount check.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  fuseMountAt,
  hasCommand,
  manifest,
  mountSuite,
  q,
  runCli,
  sh,
  sha256,
  shOk,
} from './harness/index.js';

describe('a standalone mount', () => {
  const suite = mountSuite({ name: 'basic', namespace: 'basic' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  const p = (path = '') => `${suite.plain}/${path}`;

  before(() => suite.start());

  test('a tree survives unmount and remount: same names, types, modes, sizes, mtimes, link targets and bytes', async () => {
    await shOk(`
      set -e
      cd ${q(m())}
      mkdir -p tree/a/b/c tree/empty-dir
      : > tree/zero
      printf 'hello\\n' > tree/a/hello.txt
      head -c 100000 /dev/urandom > tree/a/b/medium.bin
      dd if=/dev/urandom of=tree/big.bin bs=1M count=64 status=none
      ln -s a/hello.txt tree/link
      ln -s ../../missing tree/a/b/dangling
      chmod 600 tree/a/hello.txt
      chmod 750 tree/a/b/medium.bin
      chmod 700 tree/a/b/c
      touch -d '2001-02-03 04:05:06.789' tree/zero tree/a/hello.txt
      touch -d '1999-12-31 23:59:59' tree/a/b/c tree/empty-dir
    `);
    const before = await manifest(m('tree'));
    assert.match(before, /^a\/hello\.txt f 600 6 981173106\.789/m);
    assert.match(before, /^link l 777 11 [\d.]+ a\/hello\.txt$/m);
    assert.match(before, /^big\.bin f 644 67108864 /m);

    await suite.remount();
    assert.equal(await manifest(m('tree')), before);
  });

  test('overwriting the middle of a large file changes exactly those bytes', async () => {
    await shOk(`
      set -e
      cp ${q(m('tree/big.bin'))} ${q(p('big.bin'))}
      head -c 300000 /dev/urandom > ${q(p('patch'))}
      dd if=${q(p('patch'))} of=${q(m('tree/big.bin'))} bs=1000 seek=33554 conv=notrunc status=none
      dd if=${q(p('patch'))} of=${q(p('big.bin'))} bs=1000 seek=33554 conv=notrunc status=none
    `);
    assert.equal(await sha256(m('tree/big.bin')), await sha256(p('big.bin')));
    assert.equal(
      (await shOk(`stat -c %s ${q(m('tree/big.bin'))}`)).trim(),
      '67108864',
      'conv=notrunc keeps the size',
    );
  });

  test('truncate -s grows with zeros and shrinks, like a plain file', async () => {
    await shOk(`
      set -e
      head -c 3000000 /dev/urandom > ${q(p('t.bin'))}
      cp ${q(p('t.bin'))} ${q(m('t.bin'))}
    `);
    for (const size of ['5000000', '1234567', '0', '70000']) {
      await shOk(`truncate -s ${size} ${q(m('t.bin'))} && truncate -s ${size} ${q(p('t.bin'))}`);
      assert.equal(await sha256(m('t.bin')), await sha256(p('t.bin')), `after truncate -s ${size}`);
      assert.equal((await shOk(`stat -c %s ${q(m('t.bin'))}`)).trim(), size);
    }
  });

  test('mv over an existing file replaces it', async () => {
    await shOk(`cd ${q(m())} && printf old > target && printf new > source && mv -f source target`);
    assert.equal(await shOk(`cat ${q(m('target'))}`), 'new');
    assert.equal((await sh(`test -e ${q(m('source'))}`)).code, 1, 'the source name is gone');
  });

  test('mv of a non-empty directory moves its whole subtree', async () => {
    await shOk(
      `cd ${q(m())} && mkdir -p r1/s/t && printf x > r1/s/t/f && printf y > r1/g && ln -s s/t/f r1/l`,
    );
    const before = await manifest(m('r1'));
    await shOk(`mv ${q(m('r1'))} ${q(m('r2'))}`);
    assert.equal(await manifest(m('r2')), before);
    assert.equal((await sh(`test -e ${q(m('r1'))}`)).code, 1);
  });

  test('rm -rf removes a tree of directories, files and links', async () => {
    await shOk(`
      set -e
      cd ${q(m())}
      mkdir -p doomed
      for i in $(seq 1 10); do mkdir -p doomed/d$i/e; for j in 1 2 3 4; do printf $i$j > doomed/d$i/e/f$j; done; ln -s e doomed/d$i/l; done
      rm -rf doomed
    `);
    assert.equal((await sh(`test -e ${q(m('doomed'))}`)).code, 1);
    assert.doesNotMatch(await shOk(`ls -A ${q(m())}`), /doomed/);
  });

  test('cp -p keeps mode and mtime', async () => {
    // atime and mtime differ on purpose: a binding that mixes them up must fail here.
    await shOk(`
      set -e
      printf data > ${q(p('stamped'))}
      chmod 640 ${q(p('stamped'))}
      touch -m -d '2002-03-04 05:06:07' ${q(p('stamped'))}
      touch -a -d '2012-01-01 00:00:00' ${q(p('stamped'))}
      cp -p ${q(p('stamped'))} ${q(m('stamped'))}
    `);
    assert.equal(
      await shOk(`stat -c '%a %Y' ${q(m('stamped'))}`),
      await shOk(`stat -c '%a %Y' ${q(p('stamped'))}`),
    );
  });

  test('tar x restores mtimes', async () => {
    await shOk(`
      set -e
      mkdir -p ${q(p('tsrc/sub'))}
      printf a > ${q(p('tsrc/a'))}; printf b > ${q(p('tsrc/sub/b'))}
      touch -d '2003-04-05 06:07:08' ${q(p('tsrc/a'))} ${q(p('tsrc/sub/b'))} ${q(p('tsrc/sub'))}
      tar -C ${q(p())} -cf ${q(p('t.tar'))} tsrc
      tar -C ${q(m())} -xf ${q(p('t.tar'))}
    `);
    assert.equal(
      await manifest(m('tsrc'), { dirSizes: false, mtime: 'seconds' }),
      await manifest(p('tsrc'), { dirSizes: false, mtime: 'seconds' }),
    );
  });

  test('adding, removing and renaming entries moves the directory mtime, as on a plain directory', async () => {
    const old = '2001-01-01 00:00:00 UTC';
    const mtimeOf = async (path: string) => Number(await shOk(`stat -c %Y ${q(path)}`));
    const epochOld = Date.UTC(2001, 0, 1) / 1000;
    await shOk(`mkdir ${q(m('dm'))} ${q(m('dm2'))}; touch -d ${q(old)} ${q(m('dm'))} ${q(m('dm2'))}`);
    const steps = [
      `printf x > ${q(m('dm/new'))}`,
      `mkdir ${q(m('dm/sub'))}`,
      `rm ${q(m('dm/new'))}`,
      `rmdir ${q(m('dm/sub'))}`,
    ];
    for (const step of steps) {
      await shOk(`touch -d ${q(old)} ${q(m('dm'))}`);
      await shOk(step);
      assert.ok((await mtimeOf(m('dm'))) > epochOld, `${step} moved the mtime of its directory`);
    }
    await shOk(`printf y > ${q(m('dm/moving'))}; touch -d ${q(old)} ${q(m('dm'))} ${q(m('dm2'))}`);
    await shOk(`mv ${q(m('dm/moving'))} ${q(m('dm2/moved'))}`);
    assert.ok((await mtimeOf(m('dm'))) > epochOld, 'the source directory of a rename');
    assert.ok((await mtimeOf(m('dm2'))) > epochOld, 'the target directory of a rename');
    // An explicit time set afterwards (what tar does for directories) still wins.
    await shOk(`touch -d ${q(old)} ${q(m('dm2'))}`);
    assert.equal(await mtimeOf(m('dm2')), epochOld);
  });

  test('touch -m sets mtime alone, touch sets it to now', async () => {
    await shOk(`printf x > ${q(m('touched'))}; touch -m -d '2001-02-03 04:05:06 UTC' ${q(m('touched'))}`);
    assert.equal(await shOk(`stat -c %Y ${q(m('touched'))}`), `${Date.UTC(2001, 1, 3, 4, 5, 6) / 1000}\n`);
    const before = Math.floor(Date.now() / 1000) - 1;
    await shOk(`touch ${q(m('touched'))}`);
    assert.ok(Number(await shOk(`stat -c %Y ${q(m('touched'))}`)) >= before, 'touch moved mtime to now');
  });

  test('ln makes a hard link: a second name of the same file (more in posix.test.ts)', async () => {
    await shOk(`printf x > ${q(m('linkme'))} && ln ${q(m('linkme'))} ${q(m('hardlink'))}`);
    assert.equal(await shOk(`cat ${q(m('hardlink'))}`), 'x');
    const [a, b] = (await shOk(`stat -c %i ${q(m('linkme'))} ${q(m('hardlink'))}`)).trim().split('\n');
    assert.equal(a, b);
  });

  test('mkdir on an existing name fails with "File exists"', async () => {
    await shOk(`mkdir ${q(m('exists'))}`);
    const r = await sh(`mkdir ${q(m('exists'))}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /File exists/);
  });

  test('rmdir of a non-empty directory fails with "Directory not empty" and keeps it', async () => {
    await shOk(`mkdir -p ${q(m('full'))} && printf x > ${q(m('full/f'))}`);
    const r = await sh(`rmdir ${q(m('full'))}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Directory not empty/);
    assert.equal(await shOk(`cat ${q(m('full/f'))}`), 'x');
  });

  test('a missing file is "No such file or directory"', async () => {
    const r = await sh(`cat ${q(m('nope'))}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such file or directory/);
  });

  test('extended attributes can be set, read, listed and removed', async (t) => {
    if (!(await hasCommand('setfattr')) || !(await hasCommand('getfattr'))) {
      t.skip('setfattr/getfattr not installed (apt-get install attr)');
      return;
    }
    const f = q(m('xattr-file'));
    await shOk(`printf x > ${f} && setfattr -n user.color -v blue ${f} && setfattr -n user.gone -v 1 ${f}`);
    await shOk(`setfattr -x user.gone ${f}`);
    assert.equal(await shOk(`getfattr --only-values -n user.color ${f}`), 'blue');
    assert.match(await shOk(`getfattr -d ${f}`), /^user\.color="blue"$/m);
    const missing = await sh(`getfattr -n user.gone ${f}`);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such attribute/);
  });

  test('everything above survives another remount', async (t) => {
    const before = await manifest(m());
    await suite.remount();
    assert.equal(await manifest(m()), before);
    if (await hasCommand('getfattr')) {
      assert.equal(await shOk(`getfattr --only-values -n user.color ${q(m('xattr-file'))}`), 'blue');
    } else {
      t.diagnostic('xattr persistence not checked: getfattr missing');
    }
  });

  test('SIGTERM unmounts and exits 0', async () => {
    const exit = await suite.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await fuseMountAt(suite.mountpoint), undefined);
  });
});

describe('mount errors', () => {
  const suite = mountSuite({ name: 'errors', namespace: 'errs' });

  test('a missing mount point fails with one line naming it, no stack', async () => {
    const missing = `${suite.root}/no-such-dir`;
    const r = await runCli(suite, ['mount', '--namespace', 'errs', missing], 60_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`mount point ${missing.replaceAll('/', '\\/')} does not exist`));
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(r.stdout, /^mounted /m);
  });
});
