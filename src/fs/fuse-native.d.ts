// The part of fuse-native 2.2.6 (CommonJS, untyped) that fuse-adapter.ts uses. Callbacks take
// (result, value): result 0 or a negative errno; read/write/getxattr return their byte count as the result.
declare module 'fuse-native' {
  type Cb = (result: number) => void;
  type ValueCb<T> = (result: number, value?: T) => void;

  export interface FuseStat {
    mode: number;
    uid: number;
    gid: number;
    size: number;
    dev?: number;
    nlink: number;
    /** A bigint carries all 64 bits (patched getStatArray, scripts/patch-fuse-native.mjs); a number 32. */
    ino: number | bigint;
    rdev?: number;
    blksize?: number;
    blocks?: number;
    /** Milliseconds since the epoch, or a Date. */
    atime: number | Date;
    mtime: number | Date;
    ctime: number | Date;
  }

  export interface FuseStatfs {
    bsize: number;
    frsize: number;
    blocks: number;
    bfree: number;
    bavail: number;
    files: number;
    ffree: number;
    favail: number;
    fsid: number;
    flag: number;
    namemax: number;
  }

  export interface FuseOps {
    init?(cb: Cb): void;
    access?(path: string, mode: number, cb: Cb): void;
    statfs?(path: string, cb: ValueCb<FuseStatfs>): void;
    getattr?(path: string, cb: ValueCb<FuseStat>): void;
    fgetattr?(path: string, fd: number, cb: ValueCb<FuseStat>): void;
    flush?(path: string, fd: number, cb: Cb): void;
    fsync?(path: string, datasync: number, fd: number, cb: Cb): void;
    fsyncdir?(path: string, datasync: number, fd: number, cb: Cb): void;
    readdir?(path: string, cb: (result: number, names?: string[], stats?: FuseStat[]) => void): void;
    truncate?(path: string, size: number, cb: Cb): void;
    ftruncate?(path: string, fd: number, size: number, cb: Cb): void;
    /** Not in fuse-native 2.2.6: added by scripts/patch-fuse-native.mjs. */
    fallocate?(path: string, mode: number, offset: number, length: number, fd: number, cb: Cb): void;
    utimens?(path: string, atime: number, mtime: number, cb: Cb): void;
    readlink?(path: string, cb: ValueCb<string>): void;
    chown?(path: string, uid: number, gid: number, cb: Cb): void;
    chmod?(path: string, mode: number, cb: Cb): void;
    mknod?(path: string, mode: number, dev: number, cb: Cb): void;
    setxattr?(path: string, name: string, value: Buffer, position: number, flags: number, cb: Cb): void;
    getxattr?(path: string, name: string, position: number, cb: ValueCb<Buffer>): void;
    listxattr?(path: string, cb: ValueCb<string[]>): void;
    removexattr?(path: string, name: string, cb: Cb): void;
    open?(path: string, flags: number, cb: ValueCb<number>): void;
    opendir?(path: string, flags: number, cb: ValueCb<number>): void;
    read?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Cb): void;
    write?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Cb): void;
    release?(path: string, fd: number, cb: Cb): void;
    releasedir?(path: string, fd: number, cb: Cb): void;
    create?(path: string, mode: number, cb: ValueCb<number>): void;
    unlink?(path: string, cb: Cb): void;
    rename?(src: string, dest: string, cb: Cb): void;
    link?(src: string, dest: string, cb: Cb): void;
    symlink?(target: string, path: string, cb: Cb): void;
    mkdir?(path: string, mode: number, cb: Cb): void;
    rmdir?(path: string, cb: Cb): void;
  }

  /**
   * Internal: what the native side calls for one op, with the calling fuse thread's locals (a Buffer over the
   * C struct) and the opcode before the op's own arguments.
   */
  export type FuseHandler = (locals: Buffer, opcode: number, ...args: unknown[]) => void;

  export interface FuseOpts {
    debug?: boolean;
    force?: boolean;
    mkdir?: boolean;
    allowOther?: boolean;
    defaultPermissions?: boolean;
    fsname?: string;
    subtype?: string;
    /** Per-op timeout in ms (the op then fails with ETIMEDOUT), or false for none. Default 15 s. */
    timeout?: number | false;
  }

  class Fuse {
    constructor(mountpoint: string, ops: FuseOps, opts?: FuseOpts);
    readonly mnt: string;
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mountpoint: string, cb: (err: Error | null) => void): void;
    /** Internal: builds the "-o…" argument; a subclass overrides it to add options fuse-native has no name for. */
    protected _fuseOptions(): string;
    /** Internal, called by the constructor: one handler per opcode, handed to the native side at mount. */
    protected _makeHandlerArray(): FuseHandler[];
  }

  export default Fuse;
}
