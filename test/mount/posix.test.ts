/**
 * POSIX answers a local filesystem gives, checked through real programs on a real mount (issue 11's first
 * part): chgrp and `chown user:` leave the other id alone, directory link counts, over-long names, and sizes
 * past the maximum file size (sparse files and fallocate: sparse.test.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mountSuite, q, sh, shOk } from './harness/index.js';

describe('POSIX answers on a mount', () => {
  const suite = mountSuite({ name: 'posix', namespace: 'posix' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;

  before(() => suite.start());

  test('chgrp and chown with an empty owner leave the other id alone, and the file can still be removed', async () => {
    const f = m('owned.txt');
    await shOk(`printf x > ${q(f)} && chown 123:456 ${q(f)}`);
    await shOk(`chgrp 789 ${q(f)}`);
    assert.equal((await shOk(`stat -c %u:%g ${q(f)}`)).trim(), '123:789');
    await shOk(`chown 321 ${q(f)}`);
    assert.equal((await shOk(`stat -c %u:%g ${q(f)}`)).trim(), '321:789');
    await shOk(`chown :0 ${q(f)} && chown 0 ${q(f)}`);
    assert.equal((await shOk(`stat -c %u:%g ${q(f)}`)).trim(), '0:0');
    await shOk(`rm ${q(f)}`);
  });

  test('a directory’s link count is 2 plus its subdirectories, as find and ls expect', async () => {
    await shOk(
      `mkdir -p ${q(m('tree/a'))} ${q(m('tree/b'))} ${q(m('tree/c'))} && touch ${q(m('tree/file'))}`,
    );
    assert.equal((await shOk(`stat -c %h ${q(m('tree'))}`)).trim(), '5');
    await shOk(`rmdir ${q(m('tree/c'))}`);
    assert.equal((await shOk(`stat -c %h ${q(m('tree'))}`)).trim(), '4');
  });

  test('a name over 255 bytes is "File name too long", for lookup and create alike', async () => {
    const long = m('x'.repeat(256));
    const looked = await sh(`stat ${q(long)}`);
    assert.notEqual(looked.code, 0);
    assert.match(looked.stderr, /File name too long/);
    const made = await sh(`touch ${q(long)}`);
    assert.notEqual(made.code, 0);
    assert.match(made.stderr, /File name too long/);
    await shOk(`touch ${q(m('y'.repeat(255)))} && rm ${q(m('y'.repeat(255)))}`);
  });

  test('df shows the size and free space of the filesystem holding the home, not fixed figures', async () => {
    const figures = async (dir: string) =>
      (await shOk(`df -B1 --output=size,avail ${q(dir)} | tail -1`)).trim().split(/\s+/).map(Number);
    const [mountSize, mountAvail] = await figures(m());
    const [homeSize, homeAvail] = await figures(suite.home);
    assert.equal(mountSize, homeSize);
    assert.ok(Math.abs(mountAvail! - homeAvail!) <= homeSize! * 0.01, `${mountAvail} vs ${homeAvail}`);
  });

  test('without --allow-other another user is kept out of the mount entirely', async () => {
    await shOk(`chmod 755 ${q(suite.root)} && chmod 777 ${q(m())}`);
    const r = await sh(`setpriv --reuid=65534 --regid=65534 --clear-groups ls ${q(m())}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
  });

  test('truncate past the maximum file size (2^53 - 1) is "File too large" and the file keeps its bytes', async () => {
    const f = m('big.txt');
    await shOk(`printf 'still here' > ${q(f)}`);
    const r = await sh(`truncate -s ${2 ** 60} ${q(f)}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /File too large/);
    assert.equal(await shOk(`cat ${q(f)}`), 'still here');
  });
});

describe('a mount with --allow-other', () => {
  const suite = mountSuite({ name: 'allow-other', namespace: 'shared' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  const asNobody = (cmd: string) => sh(`setpriv --reuid=65534 --regid=65534 --clear-groups ${cmd}`);

  before(async () => {
    await suite.start(['--allow-other']);
    // mkdtemp made the suite's root 0700: let the other user walk down to the mount point.
    await shOk(`chmod 755 ${q(suite.root)}`);
  });

  test('lets other users in, and the kernel checks their rights from mode, uid and gid', async () => {
    await shOk(`mkdir ${q(m('open'))} && chmod 777 ${q(m('open'))} && printf mine > ${q(m('mine.txt'))}`);
    await shOk(
      `chmod 644 ${q(m('mine.txt'))} && printf secret > ${q(m('secret.txt'))} && chmod 600 ${q(m('secret.txt'))}`,
    );
    const read = await asNobody(`cat ${q(m('mine.txt'))}`);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'mine');
    const denied = await asNobody(`cat ${q(m('secret.txt'))}`);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Permission denied/);
    const overwrite = await asNobody(`sh -c 'printf x > ${m('mine.txt')}'`);
    assert.notEqual(overwrite.code, 0);
    assert.match(overwrite.stderr, /Permission denied/);
    const made = await asNobody(`sh -c 'printf new > ${m('open/by-nobody.txt')}'`);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(await shOk(`cat ${q(m('open/by-nobody.txt'))}`), 'new');
  });
});
