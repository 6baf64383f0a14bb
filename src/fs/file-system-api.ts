/**
 * What the FUSE adapter needs from a filesystem: path-addressed POSIX operations that resolve or throw a
 * TgfsError (mapped to errno in errno.ts). Paths are absolute within the mount ("/", "/a/b").
 */

export interface FileStat {
  /** Full st_mode including the type bits (S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly sizeBytes: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /** Names of a file (its hard links); 2 plus the subdirectories for a directory. */
  readonly nlink: number;
  /** st_ino: 64 bits derived from the inode id, the same on every mount (inode-numbers.ts). */
  readonly ino: bigint;
  /** st_rdev: the device number of a device node, else 0. */
  readonly rdev: number;
  /** Bytes actually held, holes excluded (st_blocks, what du shows); the size when absent. */
  readonly storedBytes?: number;
}

export interface FsStats {
  readonly blockSize: number;
  readonly blocks: number;
  readonly blocksFree: number;
  /** Free to an unprivileged user (what `df` shows as available). */
  readonly blocksAvailable: number;
  readonly files: number;
  readonly filesFree: number;
  readonly nameMax: number;
}

export interface DirEntry {
  readonly name: string;
  readonly stat: FileStat;
}

/** A file handle returned by create/open. */
export type Fd = number;

/**
 * `uid` and `gid` of mkdir, create and symlink are those of the calling process: the new inode's owner follows
 * from them and the parent directory (its setgid bit), as `newInodeOwner` in projections/decide decides.
 */
export interface FileSystemApi {
  getattr(path: string): Promise<FileStat>;
  fgetattr(path: string, fd: Fd): Promise<FileStat>;
  readdir(path: string): Promise<DirEntry[]>;
  mkdir(path: string, mode: number, uid: number, gid: number): Promise<void>;
  rmdir(path: string): Promise<void>;
  create(path: string, mode: number, uid: number, gid: number): Promise<Fd>;
  /** mknod(2): `mode` with its type bits (regular file, FIFO, character or block device, socket). */
  mknod(path: string, mode: number, rdev: number, uid: number, gid: number): Promise<void>;
  open(path: string, flags: number): Promise<Fd>;
  read(fd: Fd, buffer: Buffer, length: number, position: number): Promise<number>;
  /** Copies `buffer` before waiting on anything (it is the kernel's, detached once the op is answered). */
  write(fd: Fd, buffer: Buffer, length: number, position: number): Promise<number>;
  truncate(path: string, sizeBytes: number): Promise<void>;
  ftruncate(fd: Fd, sizeBytes: number): Promise<void>;
  /** fallocate(2): mode 0 grows the file over the range, FALLOC_FL_KEEP_SIZE (1) keeps it; others EOPNOTSUPP. */
  fallocate(fd: Fd, mode: number, offset: number, length: number): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Replaces an existing target (file, or empty directory) atomically, as rename(2) does. */
  rename(from: string, to: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  utimens(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  symlink(target: string, path: string, uid: number, gid: number): Promise<void>;
  readlink(path: string): Promise<string>;
  /** Another name for a non-directory: NOT_PERMITTED (EPERM) for a directory. */
  link(existing: string, path: string): Promise<void>;
  statfs(): Promise<FsStats>;
  /** Commits buffered writes as events (durable in the local home) before resolving. */
  flush(fd: Fd): Promise<void>;
  fsync(fd: Fd): Promise<void>;
  /** Makes the directory's entries (creates, renames, removals so far) durable. */
  fsyncdir(path: string): Promise<void>;
  release(fd: Fd): Promise<void>;
  setxattr(path: string, name: string, value: Buffer): Promise<void>;
  getxattr(path: string, name: string): Promise<Buffer>;
  listxattr(path: string): Promise<string[]>;
  removexattr(path: string, name: string): Promise<void>;
}
