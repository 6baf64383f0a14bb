/**
 * The FUSE edge: binds a FileSystemApi to fuse-native's callbacks. Every op turns a rejection into a negative
 * errno through errno.ts; nothing is logged per call unless `debug` is set.
 *
 * fuse-native 2.2.6 facts this file relies on (node_modules/fuse-native/index.js, fuse-native.c):
 * - callbacks take (result, value): result 0 or -errno; read/write answer with the byte count as result.
 * - stat times are milliseconds (numbers or Dates), carried as two uint32 halves; mode/uid are uint32; ino is
 *   a bigint carried as two uint32 halves (scripts/patch-fuse-native.mjs) and reaches st_ino through use_ino.
 * - readdir may answer (0, names, stats) with one stat per name: the stat's type bits become d_type, so
 *   `find` and `ls` need no extra lookup per entry.
 * - its fgetattr handler calls ops.getattr(path), never ops.fgetattr.
 * - its utimens passed the access time twice and libfuse 2.9 dropped mtime-only changes: both are fixed by
 *   scripts/patch-fuse-native.mjs at install, and this adapter uses the arguments as documented.
 * - it has no fallocate op: the same script adds one, (path, mode, offset, length, fd, cb).
 * - write/read buffers are kernel memory detached after the callback: written data is copied here.
 * - it never passed on the calling process (fuse_get_context()), which only the fuse thread running the op can
 *   read: scripts/patch-fuse-native.mjs makes that thread copy uid, gid, pid and umask to the start of its
 *   locals before waking JavaScript, and every handler gets those locals as its first argument. TgfsFuse
 *   notes them as each op is dispatched; the ops that create read `caller()` synchronously, before anything
 *   else can be dispatched, so new inodes belong to their creator.
 */
import { readdir as readdirAsync, stat as statAsync } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname, resolve } from 'node:path';
import Fuse, { type FuseHandler, type FuseOps, type FuseStat } from 'fuse-native';
import { isTgfsError, TgfsError } from '../errors.js';
import { errnoOf } from './errno.js';
import type { FileStat, FileSystemApi } from './file-system-api.js';
import { appendOptions, extraLibfuseOptions } from './mount-options.js';

export interface MountFileSystemOptions {
  readonly readOnly?: boolean;
  /** libfuse's own debug output on stderr plus one log line per call. */
  readonly debug?: boolean;
  /** Lets users other than the mounting one in (needs user_allow_other in /etc/fuse.conf for non-root). */
  readonly allowOther?: boolean;
  /** Where EIO causes (and, with debug, every call) are reported. Default: stderr. */
  readonly log?: (line: string) => void;
  /** An op still pending after this long fails with ETIMEDOUT rather than hanging the caller. */
  readonly opTimeoutMs?: number;
}

export interface MountedFileSystem {
  readonly mountpoint: string;
  /** Lazily unmounts (fusermount -u -z): open files stay usable until closed, new accesses see the directory. */
  unmount(): Promise<void>;
}

const S_IFMT = 0o170000;
const PERMISSION_BITS = 0o7777;
/**
 * Only the user.* xattr namespace is stored. system.posix_acl_* must fail with EOPNOTSUPP, or `cp -p`
 * "preserves" the mode as an ACL the kernel never applies instead of calling chmod; security.* labels belong
 * to one machine's LSM, not to a synced tree. Reads outside user.* answer "no such attribute" without a
 * filesystem call (the kernel asks for security.capability on writes).
 */
const STORED_XATTR_PREFIX = 'user.';
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
/**
 * fuse-native turns a timespec into milliseconds; UTIME_NOW/UTIME_OMIT (tv_sec 0, tv_nsec 2^30-1 / 2^30-2)
 * both arrive as 1073 ms. libfuse2 sends UTIME_OMIT for a time the caller left unchanged (touch -m), and the
 * kernel fills real times for "now" without a writeback cache, so 1073 means "keep the current value".
 */
const UTIME_SPECIAL_MS = 1073;
const DEFAULT_OP_TIMEOUT_MS = 60_000;

/** The process whose call an op serves, as fuse_get_context() gave it in the fuse thread. */
export interface FuseCaller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly umask: number;
}

/** This process: the caller when there is no kernel (tests driving the ops) or no op being dispatched. */
function processCaller(): FuseCaller {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, pid: process.pid, umask: 0 };
}

/** Where the patched glue puts the caller in a fuse thread's locals: four native-endian uint32 from byte 0. */
const CALLER_UID_OFFSET = 0;
const CALLER_GID_OFFSET = 4;
const CALLER_PID_OFFSET = 8;
const CALLER_UMASK_OFFSET = 12;
const readCallerField =
  endianness() === 'LE'
    ? (locals: Buffer, offset: number) => locals.readUInt32LE(offset)
    : (locals: Buffer, offset: number) => locals.readUInt32BE(offset);

/** fuse-native with the libfuse options it has no names for (see mount-options.ts) and the op's caller. */
class TgfsFuse extends Fuse {
  /** The locals of the fuse thread whose op is being dispatched: valid only synchronously inside that op. */
  private dispatching: Buffer | undefined;

  constructor(
    mountpoint: string,
    ops: FuseOps,
    opts: ConstructorParameters<typeof Fuse>[2],
    private readonly extraOptions: readonly string[],
  ) {
    super(mountpoint, ops, opts);
  }

  protected override _fuseOptions(): string {
    return appendOptions(super._fuseOptions(), this.extraOptions);
  }

  /** Every handler fuse-native hands the native side, noting the calling thread's locals before it runs. */
  protected override _makeHandlerArray(): FuseHandler[] {
    return super._makeHandlerArray().map(
      (handler): FuseHandler =>
        (locals, ...args) => {
          this.dispatching = locals;
          return handler(locals, ...args);
        },
    );
  }

  /** The caller of the op being dispatched; only meaningful when read synchronously inside an op. */
  caller(): FuseCaller {
    const locals = this.dispatching;
    if (locals === undefined) return processCaller();
    return {
      uid: readCallerField(locals, CALLER_UID_OFFSET),
      gid: readCallerField(locals, CALLER_GID_OFFSET),
      pid: readCallerField(locals, CALLER_PID_OFFSET),
      umask: readCallerField(locals, CALLER_UMASK_OFFSET),
    };
  }
}

export async function mountFileSystem(
  fs: FileSystemApi,
  mountpoint: string,
  opts: MountFileSystemOptions = {},
): Promise<MountedFileSystem> {
  const absolute = resolve(mountpoint);
  await checkMountpoint(absolute);
  const log = opts.log ?? ((line: string) => process.stderr.write(`tgcryptfs: ${line}\n`));
  const fuse: TgfsFuse = new TgfsFuse(
    absolute,
    fuseOps(fs, { log, debug: opts.debug === true, caller: () => fuse.caller() }),
    {
      debug: opts.debug === true,
      // A dead earlier mount here ("Transport endpoint is not connected") is cleared before mounting.
      force: true,
      mkdir: false,
      allowOther: opts.allowOther === true,
      defaultPermissions: true,
      fsname: 'tgcryptfs',
      subtype: 'tgcryptfs',
      timeout: opts.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS,
    },
    extraLibfuseOptions({ readOnly: opts.readOnly === true }),
  );
  await new Promise<void>((done, fail) => {
    // fuse-native calls back once the kernel has sent FUSE_INIT: the mount is usable from then on.
    fuse.mount((err) => (err ? fail(mountError(absolute, err)) : done()));
  });
  return {
    mountpoint: absolute,
    unmount: () =>
      new Promise<void>((done, fail) => {
        fuse.unmount((err) =>
          err
            ? fail(
                new TgfsError('MOUNT_FAILED', `could not unmount ${absolute}: ${err.message}`, {
                  cause: err,
                }),
              )
            : done(),
        );
      }),
  };
}

async function checkMountpoint(mountpoint: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await statAsync(mountpoint)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A dead FUSE mount still sits here; fuse-native's `force` unmounts it first.
    if (code === 'ENOTCONN') return;
    if (code === 'ENOENT')
      throw new TgfsError('MOUNTPOINT_INVALID', `mount point ${mountpoint} does not exist`);
    throw new TgfsError(
      'MOUNTPOINT_INVALID',
      `mount point ${mountpoint} is not usable: ${code ?? String(err)}`,
      {
        cause: err,
      },
    );
  }
  if (!isDirectory) throw new TgfsError('MOUNTPOINT_INVALID', `mount point ${mountpoint} is not a directory`);
  // libfuse2 refuses a non-empty directory with only a line on stderr; say which directory and why.
  if ((await readdirAsync(mountpoint)).length > 0) {
    throw new TgfsError('MOUNTPOINT_INVALID', `mount point ${mountpoint} is not empty`);
  }
}

function mountError(mountpoint: string, err: Error): TgfsError {
  if (err.message === 'Mountpoint in use') {
    return new TgfsError('MOUNTPOINT_INVALID', `mount point ${mountpoint} is already a mount point`, {
      cause: err,
    });
  }
  return new TgfsError(
    'MOUNT_FAILED',
    `could not mount at ${mountpoint}: ${err.message} (is /dev/fuse available and fusermount installed?)`,
    { cause: err },
  );
}

interface OpContext {
  readonly log: (line: string) => void;
  readonly debug: boolean;
  /** Who made the call being served, read synchronously when an op starts. Default: this process. */
  readonly caller?: () => FuseCaller;
}

/** The fuse-native ops table over a FileSystemApi; exported for tests that drive ops without the kernel. */
export function fuseOps(fs: FileSystemApi, ctx: OpContext): FuseOps {
  const callerOf = ctx.caller ?? processCaller;

  /** Runs one op; `answer` receives the resolved value and calls fuse-native's callback. */
  function run<T>(
    op: string,
    path: string,
    work: () => Promise<T>,
    answer: (value: T) => void,
    fail: (errno: number) => void,
  ): void {
    // Read now, while this op is the one dispatched: who asked is worth a debug line.
    const by = ctx.debug ? describeCaller(callerOf()) : '';
    work().then(
      (value) => {
        if (ctx.debug) ctx.log(`${op} ${path} ok${by}`);
        answer(value);
      },
      (err: unknown) => {
        const errno = errnoOf(err, (line) => ctx.log(`${op} ${path}: ${line}`));
        if (ctx.debug) ctx.log(`${op} ${path} ${errno}${by}`);
        fail(errno);
      },
    );
  }

  const plain = (op: string, path: string, work: () => Promise<unknown>, cb: (result: number) => void) =>
    run(op, path, work, () => cb(0), cb);

  return {
    init: (cb) => cb(0),
    access: (path, _mode, cb) => plain('access', path, () => fs.getattr(path), cb),
    statfs: (path, cb) =>
      run(
        'statfs',
        path,
        () => fs.statfs(),
        (s) =>
          cb(0, {
            bsize: s.blockSize,
            frsize: s.blockSize,
            blocks: clampUint32(s.blocks),
            bfree: clampUint32(s.blocksFree),
            bavail: clampUint32(s.blocksAvailable),
            files: clampUint32(s.files),
            ffree: clampUint32(s.filesFree),
            favail: clampUint32(s.filesFree),
            fsid: 0,
            flag: 0,
            namemax: s.nameMax,
          }),
        cb,
      ),
    getattr: (path, cb) =>
      run(
        'getattr',
        path,
        () => fs.getattr(path),
        (s) => cb(0, toFuseStat(s)),
        cb,
      ),
    fgetattr: (path, fd, cb) =>
      run(
        'fgetattr',
        path,
        () => fs.fgetattr(path, fd),
        (s) => cb(0, toFuseStat(s)),
        cb,
      ),
    readdir: (path, cb) =>
      run(
        'readdir',
        path,
        async () => {
          const [entries, self, parent] = await Promise.all([
            fs.readdir(path),
            fs.getattr(path),
            fs.getattr(dirname(path)),
          ]);
          const names = ['.', '..'];
          const stats = [toFuseStat(self), toFuseStat(parent)];
          for (const entry of entries) {
            names.push(entry.name);
            stats.push(toFuseStat(entry.stat));
          }
          return { names, stats };
        },
        ({ names, stats }) => cb(0, names, stats),
        cb,
      ),
    mkdir: (path, mode, cb) => {
      const { uid, gid } = callerOf();
      plain('mkdir', path, () => fs.mkdir(path, mode & PERMISSION_BITS, uid, gid), cb);
    },
    rmdir: (path, cb) => plain('rmdir', path, () => fs.rmdir(path), cb),
    create: (path, mode, cb) => {
      const { uid, gid } = callerOf();
      run(
        'create',
        path,
        () => fs.create(path, mode & PERMISSION_BITS, uid, gid),
        (fd) => cb(0, fd),
        cb,
      );
    },
    // FIFOs, device nodes and sockets (a bind(2) inside the mount) as well as regular files; mode keeps its type bits.
    mknod: (path, mode, dev, cb) => {
      const { uid, gid } = callerOf();
      plain('mknod', path, () => fs.mknod(path, mode & (S_IFMT | PERMISSION_BITS), dev, uid, gid), cb);
    },
    open: (path, flags, cb) =>
      run(
        'open',
        path,
        () => fs.open(path, flags),
        (fd) => cb(0, fd),
        cb,
      ),
    read: (path, fd, buffer, length, position, cb) =>
      run('read', path, () => fs.read(fd, buffer, length, position), cb, cb),
    write: (path, fd, buffer, length, position, cb) =>
      run(
        'write',
        path,
        // The kernel's buffer is detached when we answer; FileSystemApi.write copies it before it can wait on
        // anything, so neither a late answer nor a timed-out op can make it read zeros.
        () => fs.write(fd, buffer, length, position),
        cb,
        cb,
      ),
    flush: (path, fd, cb) => plain('flush', path, () => fs.flush(fd), cb),
    fsync: (path, _datasync, fd, cb) => plain('fsync', path, () => fs.fsync(fd), cb),
    // Directory changes are events committed when their op returns; there is nothing left to sync.
    fsyncdir: (path, _datasync, _fd, cb) => plain('fsyncdir', path, () => fs.fsyncdir(path), cb),
    release: (path, fd, cb) => plain('release', path, () => fs.release(fd), cb),
    truncate: (path, size, cb) => plain('truncate', path, () => fs.truncate(path, size), cb),
    ftruncate: (path, fd, size, cb) => plain('ftruncate', path, () => fs.ftruncate(fd, size), cb),
    // Added to fuse-native by scripts/patch-fuse-native.mjs.
    fallocate: (path, mode, offset, length, fd, cb) =>
      plain('fallocate', path, () => fs.fallocate(fd, mode, offset, length), cb),
    unlink: (path, cb) => plain('unlink', path, () => fs.unlink(path), cb),
    rename: (from, to, cb) => plain('rename', from, () => fs.rename(from, to), cb),
    link: (existing, path, cb) => plain('link', path, () => fs.link(existing, path), cb),
    symlink: (target, path, cb) => {
      const { uid, gid } = callerOf();
      plain('symlink', path, () => fs.symlink(target, path, uid, gid), cb);
    },
    readlink: (path, cb) =>
      run(
        'readlink',
        path,
        () => fs.readlink(path),
        (target) => cb(0, target),
        cb,
      ),
    chmod: (path, mode, cb) => plain('chmod', path, () => fs.chmod(path, mode & PERMISSION_BITS), cb),
    chown: (path, newUid, newGid, cb) => plain('chown', path, () => fs.chown(path, newUid, newGid), cb),
    utimens: (path, atimeMs, mtimeMs, cb) =>
      plain(
        'utimens',
        path,
        async () => {
          let atime = atimeMs;
          let mtime = mtimeMs;
          if (atime === UTIME_SPECIAL_MS || mtime === UTIME_SPECIAL_MS) {
            const current = await fs.getattr(path);
            if (atime === UTIME_SPECIAL_MS) atime = current.atimeMs;
            if (mtime === UTIME_SPECIAL_MS) mtime = current.mtimeMs;
          }
          await fs.utimens(path, atime, mtime);
        },
        cb,
      ),
    setxattr: (path, name, value, _position, flags, cb) =>
      plain(
        'setxattr',
        path,
        async () => {
          if (!name.startsWith(STORED_XATTR_PREFIX)) throw unsupportedXattr(name);
          if (flags & (XATTR_CREATE | XATTR_REPLACE)) {
            const exists = await hasXattr(fs, path, name);
            if (flags & XATTR_CREATE && exists)
              throw new TgfsError('EXISTS', `xattr ${name} exists on ${path}`);
            if (flags & XATTR_REPLACE && !exists)
              throw new TgfsError('NO_XATTR', `no xattr ${name} on ${path}`);
          }
          await fs.setxattr(path, name, Buffer.from(value));
        },
        cb,
      ),
    // fuse-native copies the value and answers size probes (a 0-byte buffer) with the length.
    getxattr: (path, name, _position, cb) =>
      run(
        'getxattr',
        path,
        () =>
          name.startsWith(STORED_XATTR_PREFIX)
            ? fs.getxattr(path, name)
            : Promise.reject(new TgfsError('NO_XATTR', `no xattr ${name} on ${path}`)),
        (value) => cb(0, value),
        cb,
      ),
    listxattr: (path, cb) =>
      run(
        'listxattr',
        path,
        () => fs.listxattr(path),
        (names) => cb(0, names),
        cb,
      ),
    removexattr: (path, name, cb) =>
      plain(
        'removexattr',
        path,
        () =>
          name.startsWith(STORED_XATTR_PREFIX)
            ? fs.removexattr(path, name)
            : Promise.reject(unsupportedXattr(name)),
        cb,
      ),
  };
}

function describeCaller(caller: FuseCaller): string {
  return ` (pid ${caller.pid}, uid ${caller.uid}, gid ${caller.gid})`;
}

function unsupportedXattr(name: string): TgfsError {
  return new TgfsError('NOT_SUPPORTED', `only user.* extended attributes are stored, not ${name}`);
}

async function hasXattr(fs: FileSystemApi, path: string, name: string): Promise<boolean> {
  try {
    await fs.getxattr(path, name);
    return true;
  } catch (err) {
    if (isTgfsError(err, 'NO_XATTR')) return false;
    throw err;
  }
}

function toFuseStat(s: FileStat): FuseStat {
  return {
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    size: s.sizeBytes,
    nlink: s.nlink,
    ino: s.ino,
    rdev: s.rdev,
    blksize: 4096,
    // du and `ls -s` count 512-byte blocks, of the bytes held: a hole costs none.
    blocks: Math.ceil((s.storedBytes ?? s.sizeBytes) / 512),
    atime: Math.floor(s.atimeMs),
    mtime: Math.floor(s.mtimeMs),
    ctime: Math.floor(s.ctimeMs),
  };
}

function clampUint32(n: number): number {
  return Math.min(Math.max(0, Math.floor(n)), 0xffffffff);
}
