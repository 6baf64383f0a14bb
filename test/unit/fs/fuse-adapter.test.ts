import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TgfsError } from '../../../src/errors.js';
import type { FileStat, FileSystemApi } from '../../../src/fs/file-system-api.js';
import { fuseOps } from '../../../src/fs/fuse-adapter.js';

const fileStat = (over: Partial<FileStat> = {}): FileStat => ({
  mode: 0o100644,
  uid: 0,
  gid: 0,
  sizeBytes: 1000,
  atimeMs: 1_600_000_000_123,
  mtimeMs: 1_600_000_001_456,
  ctimeMs: 1_600_000_002_789,
  nlink: 1,
  ino: 42n,
  rdev: 0,
  ...over,
});

/** A FileSystemApi whose unlisted methods fail loudly, so a test sees exactly which calls it made. */
function fakeFs(impl: Partial<FileSystemApi>): FileSystemApi {
  return new Proxy(impl as FileSystemApi, {
    get(target, prop: string) {
      const own = (target as unknown as Record<string, unknown>)[prop];
      if (own) return own;
      return () => Promise.reject(new Error(`unexpected call ${prop}`));
    },
  });
}

function opsFor(impl: Partial<FileSystemApi>, lines: string[] = []) {
  return fuseOps(fakeFs(impl), { log: (l) => lines.push(l), debug: false });
}

/** Calls a fuse-native style op and resolves with everything it passed to its callback. */
function call(op: ((...args: never[]) => void) | undefined, ...args: unknown[]): Promise<unknown[]> {
  assert.ok(op, 'op is implemented');
  return new Promise((done) =>
    (op as (...a: unknown[]) => void)(...args, (...result: unknown[]) => done(result)),
  );
}

describe('fuse ops over a FileSystemApi', () => {
  test('getattr answers with millisecond times, size and 512-byte blocks', async () => {
    const ops = opsFor({ getattr: async () => fileStat() });
    const [result, st] = (await call(ops.getattr, '/f')) as [number, Record<string, number>];
    assert.equal(result, 0);
    assert.equal(st.size, 1000);
    assert.equal(st.blocks, 2);
    assert.equal(st.mtime, 1_600_000_001_456);
    assert.equal(st.atime, 1_600_000_000_123);
    assert.equal(st.ino, 42n);
  });

  test('getattr passes a 64-bit inode number and a device number through whole', async () => {
    const ino = 0xfedcba9876543210n;
    const ops = opsFor({ getattr: async () => fileStat({ mode: 0o20644, ino, rdev: 0x103 }) });
    const [, st] = (await call(ops.getattr, '/null')) as [number, Record<string, unknown>];
    assert.equal(st.ino, ino);
    assert.equal(st.rdev, 0x103);
    assert.equal(st.mode, 0o20644);
  });

  test('a missing path is ENOENT and logs nothing', async () => {
    const lines: string[] = [];
    const ops = opsFor({ getattr: async (p) => Promise.reject(new TgfsError('NOT_FOUND', p)) }, lines);
    assert.deepEqual(await call(ops.getattr, '/nope'), [-2]);
    assert.deepEqual(lines, []);
  });

  test('readdir gives one stat per name, dot entries included, so find need not stat each entry', async () => {
    const ops = opsFor({
      getattr: async () => fileStat({ mode: 0o040755 }),
      readdir: async () => [
        { name: 'a', stat: fileStat() },
        { name: 'sub', stat: fileStat({ mode: 0o040700 }) },
      ],
    });
    const [result, names, stats] = (await call(ops.readdir, '/d')) as [number, string[], { mode: number }[]];
    assert.equal(result, 0);
    assert.deepEqual(names, ['.', '..', 'a', 'sub']);
    assert.deepEqual(
      stats.map((s) => s.mode),
      [0o040755, 0o040755, 0o100644, 0o040700],
    );
  });

  test('write hands the filesystem the kernel buffer (which it copies itself) and answers with the byte count', async () => {
    let seen = '';
    const ops = opsFor({
      write: async (_fd, buf, len) => {
        seen = buf.subarray(0, len).toString();
        return len;
      },
    });
    const [result] = await call(ops.write, '/f', 3, Buffer.from('hello world'), 5, 0);
    assert.equal(result, 5);
    assert.equal(seen, 'hello');
  });

  test('read answers with the number of bytes the filesystem read', async () => {
    const ops = opsFor({ read: async (_fd, buf) => buf.write('abc') });
    const buf = Buffer.alloc(10);
    assert.deepEqual(await call(ops.read, '/f', 3, buf, 10, 0), [3]);
    assert.equal(buf.subarray(0, 3).toString(), 'abc');
  });

  test('utimens keeps a time the caller left out (UTIME_OMIT arrives as 1073 ms)', async () => {
    let args: number[] = [];
    const ops = opsFor({
      getattr: async () => fileStat(),
      utimens: async (_p, a, m) => {
        args = [a, m];
      },
    });
    assert.deepEqual(await call(ops.utimens, '/f', 1073, 1_500_000_000_000), [0]);
    assert.deepEqual(args, [1_600_000_000_123, 1_500_000_000_000]);
    assert.deepEqual(await call(ops.utimens, '/f', 1_400_000_000_000, 1_500_000_000_000), [0]);
    assert.deepEqual(args, [1_400_000_000_000, 1_500_000_000_000]);
  });

  test('setxattr honours XATTR_CREATE (EEXIST) and XATTR_REPLACE (ENODATA)', async () => {
    const stored = new Map<string, Buffer>([['user.a', Buffer.from('1')]]);
    const ops = opsFor({
      getxattr: async (_p, name) => stored.get(name) ?? Promise.reject(new TgfsError('NO_XATTR', name)),
      setxattr: async (_p, name, value) => {
        stored.set(name, value);
      },
    });
    assert.deepEqual(await call(ops.setxattr, '/f', 'user.a', Buffer.from('2'), 0, 1), [-17]);
    assert.deepEqual(await call(ops.setxattr, '/f', 'user.b', Buffer.from('2'), 0, 2), [-61]);
    assert.deepEqual(await call(ops.setxattr, '/f', 'user.b', Buffer.from('2'), 0, 1), [0]);
    assert.equal(stored.get('user.b')?.toString(), '2');
  });

  test('only user.* xattrs reach the filesystem: POSIX ACLs are EOPNOTSUPP so cp -p falls back to chmod', async () => {
    const ops = opsFor({});
    assert.deepEqual(await call(ops.setxattr, '/f', 'system.posix_acl_access', Buffer.alloc(4), 0, 0), [-95]);
    assert.deepEqual(await call(ops.getxattr, '/f', 'security.capability', 0), [-61]);
    assert.deepEqual(await call(ops.removexattr, '/f', 'trusted.x'), [-95]);
  });

  test('mknod hands the file type, permission bits, device number and owner to the filesystem', async () => {
    const calls: string[] = [];
    const ops = opsFor({
      mknod: async (p, mode, rdev) => {
        calls.push(`mknod ${p} ${mode.toString(8)} ${rdev}`);
      },
    });
    assert.deepEqual(await call(ops.mknod, '/fifo', 0o010644, 0), [0]);
    assert.deepEqual(await call(ops.mknod, '/null', 0o020666, 0x103), [0]);
    assert.deepEqual(await call(ops.mknod, '/f', 0o100600, 0), [0]);
    assert.deepEqual(calls, ['mknod /fifo 10644 0', 'mknod /null 20666 259', 'mknod /f 100600 0']);
  });

  test('mkdir, create and chmod pass permission bits only', async () => {
    const modes: number[] = [];
    const ops = opsFor({
      mkdir: async (_p, mode) => {
        modes.push(mode);
      },
      create: async (_p, mode) => {
        modes.push(mode);
        return 1;
      },
      chmod: async (_p, mode) => {
        modes.push(mode);
      },
    });
    await call(ops.mkdir, '/d', 0o040755);
    assert.deepEqual(await call(ops.create, '/f', 0o100640), [0, 1]);
    await call(ops.chmod, '/f', 0o104755);
    assert.deepEqual(modes, [0o755, 0o640, 0o4755]);
  });

  test('create, mkdir, mknod and symlink pass on the uid and gid of the caller the op was dispatched for', async () => {
    const calls: string[] = [];
    const note = (op: string, uid: number, gid: number): void => {
      calls.push(`${op} ${uid}:${gid}`);
    };
    let caller = { uid: 65534, gid: 65533, pid: 42, umask: 0o022 };
    const ops = fuseOps(
      fakeFs({
        create: async (_p, _m, uid, gid) => {
          note('create', uid, gid);
          return 3;
        },
        mkdir: async (_p, _m, uid, gid) => note('mkdir', uid, gid),
        mknod: async (_p, _m, _rdev, uid, gid) => note('mknod', uid, gid),
        symlink: async (_t, _p, uid, gid) => note('symlink', uid, gid),
        release: async () => {},
      }),
      { log: () => {}, debug: false, caller: () => caller },
    );
    await call(ops.create, '/f', 0o100644);
    await call(ops.mkdir, '/d', 0o040755);
    caller = { uid: 1000, gid: 100, pid: 43, umask: 0o077 };
    await call(ops.mknod, '/n', 0o100600, 0);
    await call(ops.symlink, 'f', '/l');
    assert.deepEqual(calls, [
      'create 65534:65533',
      'mkdir 65534:65533',
      'mknod 1000:100',
      'symlink 1000:100',
    ]);
  });

  test('with debug, each call’s line names the process that made it', async () => {
    const lines: string[] = [];
    const ops = fuseOps(fakeFs({ getattr: async () => fileStat() }), {
      log: (l) => lines.push(l),
      debug: true,
      caller: () => ({ uid: 65534, gid: 100, pid: 4242, umask: 0o022 }),
    });
    await call(ops.getattr, '/f');
    assert.deepEqual(lines, ['getattr /f ok (pid 4242, uid 65534, gid 100)']);
  });

  test('an unexpected exception becomes EIO and is logged with the op and path', async () => {
    const lines: string[] = [];
    const ops = opsFor({ readlink: async () => Promise.reject(new RangeError('bad offset')) }, lines);
    assert.deepEqual(await call(ops.readlink, '/l'), [-5]);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^readlink \/l: EIO unexpected error: RangeError: bad offset/);
  });

  test('a hard link is refused with EPERM', async () => {
    const ops = opsFor({ link: async () => Promise.reject(new TgfsError('NOT_PERMITTED', 'no hard links')) });
    assert.deepEqual(await call(ops.link, '/a', '/b'), [-1]);
  });
});
