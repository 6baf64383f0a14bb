/**
 * POSIX answers a local filesystem gives, checked through real programs on a real mount (issue 11's first
 * part): chgrp and `chown user:` leave the other id alone, directory link counts, over-long names, and sizes
 * past the maximum file size (sparse files and fallocate: sparse.test.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { linkGroups, manifest, mountSuite, q, sh, shOk } from './harness/index.js';

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

  test('mount.allow_other in config.yaml lets other users in without the flag', async () => {
    await suite.stop();
    const config = `${suite.home}/config.yaml`;
    await shOk(
      `sed -i 's/allow_other: false/allow_other: true/' ${q(config)} && grep -q 'allow_other: true' ${q(config)}`,
    );
    await suite.start();
    const read = await asNobody(`cat ${q(m('mine.txt'))}`);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'mine');
  });
});

describe('new files on a mount with --allow-other belong to the user who made them', () => {
  const suite = mountSuite({ name: 'owner', namespace: 'owned' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  /** Runs a shell script as uid:gid with no supplementary groups and the usual umask. */
  const as = (uid: number, gid: number, script: string) =>
    sh(`setpriv --reuid=${uid} --regid=${gid} --clear-groups sh -c ${q(`umask 022 && ${script}`)}`);
  const asNobody = (script: string) => as(65534, 65534, script);
  const owners = async (...paths: string[]) =>
    (await shOk(`stat -c '%u:%g %A %n' ${paths.map((p) => q(m(p))).join(' ')}`)).trim().split('\n');

  before(async () => {
    await suite.start(['--allow-other']);
    // mkdtemp made the suite's root 0700: let the other users walk down to the mount point and the plain copy.
    await shOk(`chmod 755 ${q(suite.root)} && mkdir ${q(m('pub'))} && chmod 777 ${q(m('pub'))}`);
  });

  test('a file, directory and symlink made by uid 65534 are its own, and it can chmod, truncate and write them', async () => {
    const made = await asNobody(
      `cd ${q(m('pub'))} && printf hello > f && mkdir d && ln -s f l && ls -ln . > listing`,
    );
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(await owners('pub/f', 'pub/d', 'pub/l'), [
      `65534:65534 -rw-r--r-- ${m('pub/f')}`,
      `65534:65534 drwxr-xr-x ${m('pub/d')}`,
      `65534:65534 lrwxrwxrwx ${m('pub/l')}`,
    ]);
    // What `ls -ln` showed the user itself, owner and group columns.
    const listed = (await shOk(`cat ${q(m('pub/listing'))}`))
      .split('\n')
      .filter((line) => / (f|d|l -> f)$/.test(line))
      .map((line) => line.split(/\s+/).slice(2, 4).join(':'));
    assert.deepEqual(listed, ['65534:65534', '65534:65534', '65534:65534']);
    const changed = await asNobody(
      `cd ${q(m('pub'))} && chmod 600 f && truncate -s 2 f && printf XY >> f && chmod 700 d && touch d/inner && cat f`,
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(changed.stdout, 'heXY');
    assert.deepEqual(await owners('pub/f', 'pub/d', 'pub/d/inner'), [
      `65534:65534 -rw------- ${m('pub/f')}`,
      `65534:65534 drwx------ ${m('pub/d')}`,
      `65534:65534 -rw-r--r-- ${m('pub/d/inner')}`,
    ]);
  });

  test('another user may not write or chmod them, their owner may not chgrp to a foreign group, root may chown', async () => {
    const made = await asNobody(`printf mine > ${q(m('pub/kept.txt'))} && chmod 644 ${q(m('pub/kept.txt'))}`);
    assert.equal(made.code, 0, made.stderr);
    const write = await as(1000, 1000, `printf x >> ${q(m('pub/kept.txt'))}`);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Permission denied/);
    const chmod = await as(1000, 1000, `chmod 666 ${q(m('pub/kept.txt'))}`);
    assert.notEqual(chmod.code, 0);
    assert.match(chmod.stderr, /Operation not permitted/);
    const chgrp = await asNobody(`chgrp 100 ${q(m('pub/kept.txt'))}`);
    assert.notEqual(chgrp.code, 0);
    assert.match(chgrp.stderr, /Operation not permitted/);
    assert.deepEqual(await owners('pub/kept.txt'), [`65534:65534 -rw-r--r-- ${m('pub/kept.txt')}`]);
    await shOk(`chown 1000:100 ${q(m('pub/kept.txt'))}`);
    assert.deepEqual(await owners('pub/kept.txt'), [`1000:100 -rw-r--r-- ${m('pub/kept.txt')}`]);
    const appended = await as(1000, 1000, `printf ' now yours' >> ${q(m('pub/kept.txt'))}`);
    assert.equal(appended.code, 0, appended.stderr);
    const lost = await asNobody(`chmod 600 ${q(m('pub/kept.txt'))}`);
    assert.match(lost.stderr, /Operation not permitted/);
    assert.equal(await shOk(`cat ${q(m('pub/kept.txt'))}`), 'mine now yours');
  });

  test('under a setgid directory new entries take its group and new directories stay setgid, as on a local disk', async () => {
    // The same steps in a directory on the mount and in one on the local disk: the owners, groups and modes
    // they leave must be the same.
    const steps = (dir: string) =>
      `mkdir ${q(`${dir}/team`)} && chgrp 500 ${q(`${dir}/team`)} && chmod 2777 ${q(`${dir}/team`)}`;
    const asUser = (dir: string) =>
      `cd ${q(`${dir}/team`)} && printf x > f && ln -s f l && mkdir sub && mkdir sub/deeper && printf y > sub/deeper/g`;
    const shown = async (dir: string) =>
      (
        await shOk(`cd ${q(`${dir}/team`)} && stat -c '%u:%g %A %n' . f l sub sub/deeper sub/deeper/g`)
      ).trim();
    await shOk(`chmod 777 ${q(suite.plain)}`);
    for (const dir of [m('pub'), suite.plain]) {
      await shOk(steps(dir));
      const made = await asNobody(asUser(dir));
      assert.equal(made.code, 0, made.stderr);
    }
    const onMount = await shown(m('pub'));
    assert.equal(onMount, await shown(suite.plain));
    assert.deepEqual(onMount.split('\n'), [
      '0:500 drwxrwsrwx .',
      '65534:500 -rw-r--r-- f',
      '65534:500 lrwxrwxrwx l',
      '65534:500 drwxr-sr-x sub',
      '65534:500 drwxr-sr-x sub/deeper',
      '65534:500 -rw-r--r-- sub/deeper/g',
    ]);
  });

  test('the owners are stored: after a remount the files still belong to their makers', async () => {
    await suite.remount();
    assert.deepEqual(await owners('pub/f', 'pub/team/sub'), [
      `65534:65534 -rw------- ${m('pub/f')}`,
      `65534:500 drwxr-sr-x ${m('pub/team/sub')}`,
    ]);
  });
});

describe('hard links on a mount', () => {
  const suite = mountSuite({ name: 'links', namespace: 'links' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;
  /**
   * Another name's attributes may be cached by the kernel from up to a second before a link or unlink changed
   * them (see src/fs/mount-options.ts): `--cached=never` asks the filesystem, as a tool that must know does.
   */
  const fresh = async (fmt: string, ...paths: string[]) =>
    (await shOk(`stat --cached=never -c ${q(fmt)} ${paths.map(q).join(' ')}`)).trim().split('\n');

  before(() => suite.start());

  test('ln gives a file a second name: one inode, two links, shared content and mode; rm of one keeps the other', async () => {
    await shOk(`mkdir ${q(m('ln'))} && printf one > ${q(m('ln/a'))} && ln ${q(m('ln/a'))} ${q(m('ln/b'))}`);
    // The new name is looked up by the link itself: a plain stat shows it right away.
    const [a, b] = (await shOk(`stat -c '%i %h' ${q(m('ln/a'))} ${q(m('ln/b'))}`)).trim().split('\n');
    assert.equal(a?.split(' ')[0], b?.split(' ')[0], 'one inode number');
    assert.equal(b?.split(' ')[1], '2');
    assert.deepEqual(await fresh('%h', m('ln/a')), ['2']);
    await shOk(`printf two >> ${q(m('ln/b'))} && chmod 600 ${q(m('ln/a'))}`);
    assert.equal(await shOk(`cat ${q(m('ln/a'))}`), 'onetwo');
    assert.deepEqual(await fresh('%a', m('ln/b')), ['600']);
    await shOk(`mv ${q(m('ln/b'))} ${q(m('ln/c'))}`);
    assert.equal(
      await shOk(`cat ${q(m('ln/a'))} ${q(m('ln/c'))}`),
      'onetwoonetwo',
      'rename of one name leaves the other',
    );
    await shOk(`rm ${q(m('ln/a'))}`);
    assert.deepEqual(await fresh('%h', m('ln/c')), ['1']);
    assert.equal(await shOk(`cat ${q(m('ln/c'))}`), 'onetwo');
  });

  test('a directory cannot be hard-linked, and an existing name is not replaced', async () => {
    await shOk(`mkdir ${q(m('dir'))} && touch ${q(m('taken'))} ${q(m('src'))}`);
    const dir = await sh(`ln ${q(m('dir'))} ${q(m('dir2'))}`);
    assert.notEqual(dir.code, 0);
    assert.match(dir.stderr, /hard link not allowed for directory/);
    const taken = await sh(`ln ${q(m('src'))} ${q(m('taken'))}`);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /File exists/);
  });

  /** A tree with hard links inside one directory and across directories, in the plain scratch directory. */
  async function linkedTree(name: string): Promise<string> {
    const dir = `${suite.plain}/${name}`;
    await shOk(`
      set -e
      mkdir -p ${q(dir)}/x/y ${q(dir)}/z
      printf 'shared\\n' > ${q(dir)}/x/one
      head -c 300000 /dev/urandom > ${q(dir)}/x/y/big
      ln ${q(dir)}/x/one ${q(dir)}/x/two
      ln ${q(dir)}/x/one ${q(dir)}/z/three
      ln ${q(dir)}/x/y/big ${q(dir)}/z/big-again
      printf 'alone\\n' > ${q(dir)}/z/single
    `);
    return dir;
  }

  const expectedGroups = ['2 x/y/big z/big-again', '3 x/one x/two z/three'].join('\n');
  const sameTree = async (copy: string, original: string) =>
    assert.equal(
      await manifest(copy, { dirSizes: false, mtime: 'seconds' }),
      await manifest(original, { dirSizes: false, mtime: 'seconds' }),
    );

  test('tar x into the mount makes hard links of the archive’s links', async () => {
    const src = await linkedTree('tar-src');
    await shOk(`mkdir ${q(m('tar'))} && tar -C ${q(src)} -cf - . | tar -C ${q(m('tar'))} -xf -`);
    assert.equal(await linkGroups(m('tar')), expectedGroups);
    await sameTree(m('tar'), src);
  });

  test('rsync -aH into the mount keeps hard links, and a second run has nothing to do', async () => {
    const src = await linkedTree('rsync-src');
    await shOk(`rsync -aH ${q(`${src}/`)} ${q(m('rsync/'))}`);
    assert.equal(await linkGroups(m('rsync')), expectedGroups);
    await sameTree(m('rsync'), src);
    assert.equal((await shOk(`rsync -aHi ${q(`${src}/`)} ${q(m('rsync/'))}`)).trim(), '');
  });

  test('cp -a into the mount keeps hard links', async () => {
    const src = await linkedTree('cp-src');
    await shOk(`cp -a ${q(src)} ${q(m('cp'))}`);
    assert.equal(await linkGroups(m('cp')), expectedGroups);
    await sameTree(m('cp'), src);
  });

  test('after a remount the same names share the same inode numbers, and tar, rsync -aH and cp -a copy them out', async () => {
    const inodes = () => shOk(`cd ${q(m())} && find . -printf '%i %P\\n' | sort -k2`);
    const before = await inodes();
    assert.match(before, /^1 $/m, 'the root is inode 1');
    await suite.remount();
    assert.equal(await inodes(), before);
    for (const dir of ['tar', 'rsync', 'cp']) assert.equal(await linkGroups(m(dir)), expectedGroups, dir);
    const out = (name: string) => `${suite.plain}/${name}`;
    await shOk(
      `mkdir ${q(out('tar-back'))} && tar -C ${q(m('tar'))} -cf - . | tar -C ${q(out('tar-back'))} -xf -`,
    );
    await shOk(`rsync -aH ${q(m('rsync/'))} ${q(`${out('rsync-back')}/`)}`);
    await shOk(`cp -a ${q(m('cp'))} ${q(out('cp-back'))}`);
    for (const name of ['tar-back', 'rsync-back', 'cp-back']) {
      assert.equal(await linkGroups(out(name)), expectedGroups, name);
      await sameTree(out(name), out(`${name.split('-')[0]}-src`));
    }
    await shOk(`rm ${q(m('tar/x/one'))} ${q(m('tar/x/two'))}`);
    assert.deepEqual(await fresh('%h', m('tar/z/three')), ['1']);
    assert.equal(await shOk(`cat ${q(m('tar/z/three'))}`), 'shared\n');
  });

  test('readdir reports each entry’s d_ino equal to its st_ino', async () => {
    const py = `import os, sys
for e in os.scandir(sys.argv[1]):
    assert e.inode() == os.stat(e.path, follow_symlinks=False).st_ino, e.path
print('ok')`;
    assert.equal(
      (await shOk(`python3 -c ${q(py)} ${q(m('tar/z'))} && python3 -c ${q(py)} ${q(m())}`)).trim(),
      'ok\nok',
    );
  });
});

describe('FIFOs, device nodes and sockets on a mount', () => {
  const suite = mountSuite({ name: 'special', namespace: 'special' });
  const m = (path = '') => `${suite.mountpoint}/${path}`;

  before(() => suite.start());

  test('mkfifo makes a FIFO that carries data between two processes', async () => {
    await shOk(`mkfifo -m 640 ${q(m('pipe'))}`);
    assert.equal((await shOk(`stat -c '%F %a %s' ${q(m('pipe'))}`)).trim(), 'fifo 640 0');
    const out = await shOk(`(printf 'through the pipe' > ${q(m('pipe'))} &) && cat ${q(m('pipe'))}`);
    assert.equal(out, 'through the pipe');
  });

  test('mknod makes character and block device nodes with their device numbers', async () => {
    await shOk(`mknod -m 666 ${q(m('null'))} c 1 3 && mknod ${q(m('disk'))} b 8 1`);
    const st = await shOk(`stat -c '%n %F %t %T' ${q(m('null'))} ${q(m('disk'))}`);
    assert.equal(st, `${m('null')} character special file 1 3\n${m('disk')} block special file 8 1\n`);
    assert.match(await shOk(`ls -l ${q(m('null'))}`), /^crw-rw-rw- .* 1, +3 /);
  });

  test('a Unix socket bound inside the mount takes connections', async () => {
    const py = `import socket, sys
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(1)
client = socket.socket(socket.AF_UNIX)
client.connect(path)
client.sendall(b'hello over the socket')
conn, _ = server.accept()
print(conn.recv(100).decode())`;
    assert.equal((await shOk(`python3 -c ${q(py)} ${q(m('sock'))}`)).trim(), 'hello over the socket');
    assert.equal((await shOk(`stat -c %F ${q(m('sock'))}`)).trim(), 'socket');
  });

  test('listings show each special file’s type without a stat, and they survive a remount', async () => {
    const types = () => shOk(`cd ${q(m())} && find . -mindepth 1 -printf '%y %P %i\\n' | sort -k2`);
    const before = await types();
    assert.match(before, /^p pipe /m);
    assert.match(before, /^c null /m);
    assert.match(before, /^b disk /m);
    assert.match(before, /^s sock /m);
    await suite.remount();
    assert.equal(await types(), before);
    assert.equal((await shOk(`stat -c '%t %T' ${q(m('null'))}`)).trim(), '1 3');
    await shOk(`rm ${q(m('pipe'))} ${q(m('null'))} ${q(m('disk'))} ${q(m('sock'))}`);
    assert.equal(await shOk(`ls -A ${q(m())}`), '');
  });
});
