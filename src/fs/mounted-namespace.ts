import { constants } from 'node:fs';
import { newInodeId } from '../crypto/ids.js';
import { isNoSpace } from '../disk/no-space.js';
import { TgfsError } from '../errors.js';
import { storedBytes } from '../events/extents.js';
import type { Extent, InodeId, InodeKind, SpecialKind, WriteBody } from '../events/types.js';
import { isOwnerId, PERMISSION_BITS } from '../projections/decide/attrs.js';
import { decide } from '../projections/decide/decide.js';
import type { AttrRequest, FsRequest } from '../projections/decide/fs-request.js';
import { NAME_MAX_BYTES, nodeAt } from '../projections/decide/paths.js';
import {
  childrenOf,
  type InodeView,
  linkCount,
  liveCount,
  nodeOf,
  subdirectoryCount,
} from '../projections/namespace/queries.js';
import type { NamespaceState } from '../projections/namespace/state.js';
import type { Replica } from '../projections/replica.js';
import { DirtyBudget } from './dirty-budget.js';
import type { DirEntry, Fd, FileStat, FileSystemApi, FsStats } from './file-system-api.js';
import { inodeNumberOf } from './inode-numbers.js';
import { type CopyContentStore, WorkingCopy } from './working-copy.js';

export { INLINE_MAX_BYTES } from './working-copy.js';

/** fallocate(2)'s FALLOC_FL_KEEP_SIZE: reserve without changing the size. The other modes are EOPNOTSUPP. */
export const FALLOC_FL_KEEP_SIZE = 1;

/** Where file content goes and comes from: chunked, sealed, durable in the home before `putFile` resolves. */
export interface ContentStore extends CopyContentStore {
  readRange(extents: readonly Extent[], offset: number, length: number): Promise<Uint8Array>;
  /** The same bytes written into `target`; resolves with how many (short at the end of the file). */
  readRangeInto(extents: readonly Extent[], offset: number, target: Uint8Array): Promise<number>;
}

export interface MountedNamespaceOptions {
  readonly readOnly?: boolean;
  /**
   * Shown for a uid or gid no file can have: earlier versions stored chown's "-1" (leave unchanged), which made
   * such files impossible to chown back or remove. They were all made by the mounting user, whom this names
   * (default: this process's ids); a chown by their owner or root then stores a valid id for good.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /**
   * The space `df` reports: where the home keeps the log, staging and cache, since that is what fills up
   * first whatever the store. Without it, fixed figures.
   */
  readonly space?: () => Promise<DiskSpace>;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  /**
   * Memory all open files may hold for written bytes not yet staged; past it they spill to the staging area
   * (default DEFAULT_DIRTY_LIMIT_BYTES, `cache.dirty_limit_mb`).
   */
  readonly dirtyLimitBytes?: number;
}

export interface DiskSpace {
  readonly blockSize: number;
  readonly blocks: number;
  readonly blocksFree: number;
  readonly blocksAvailable: number;
}

const UNKNOWN_SPACE: DiskSpace = {
  blockSize: 4096,
  blocks: 2 ** 32 - 1,
  blocksFree: 2 ** 31,
  blocksAvailable: 2 ** 31,
};

const TYPE_BITS: { readonly [K in InodeKind]: number } = {
  file: constants.S_IFREG,
  dir: constants.S_IFDIR,
  symlink: constants.S_IFLNK,
  fifo: constants.S_IFIFO,
  chardev: constants.S_IFCHR,
  blockdev: constants.S_IFBLK,
  socket: constants.S_IFSOCK,
};

/** mknod's type bits → the special kinds, which hold metadata only. */
const SPECIAL_TYPES: ReadonlyMap<number, SpecialKind> = new Map([
  [constants.S_IFIFO, 'fifo'],
  [constants.S_IFCHR, 'chardev'],
  [constants.S_IFBLK, 'blockdev'],
  [constants.S_IFSOCK, 'socket'],
]);

interface OpenFile {
  readonly inode: InodeId;
  readonly path: string;
  /** Whether this handle holds a reference on the inode's working copy (taken at its first change). */
  holdsCopy: boolean;
}

interface SharedCopy {
  copy: WorkingCopy;
  refs: number;
}

/** The bytes each committed extent list holds, computed once per list (a stat per readdir entry asks). */
const storedBytesOf = new WeakMap<readonly Extent[], number>();

/**
 * A namespace as a mount serves it: what a POSIX call does to the tree is `decide`'s, committed against the
 * namespace replica (signed events in the op log); this class keeps what only a mount has — the open-file
 * table, the working copies of files being written and their content commits — and serves reads and stats
 * from the projection and the content store.
 */
export class MountedNamespace implements FileSystemApi {
  private readonly fds = new Map<Fd, OpenFile>();
  private nextFd = 1;
  private readonly copies = new Map<InodeId, SharedCopy>();
  /** Serialises content commits per inode so two flushes never race on one file. */
  private readonly commitChains = new Map<InodeId, Promise<unknown>>();
  private readonly now: () => number;
  private readonly owner: { readonly uid: number; readonly gid: number };
  private readonly budget: DirtyBudget;

  constructor(
    private readonly replica: Replica<NamespaceState>,
    private readonly content: ContentStore,
    private readonly options: MountedNamespaceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.owner = options.owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    this.budget = new DirtyBudget(options.dirtyLimitBytes);
  }

  private get state(): NamespaceState {
    return this.replica.state;
  }

  // ---- reads -------------------------------------------------------------------------------------------

  async getattr(path: string): Promise<FileStat> {
    return this.statOf(nodeAt(this.state, path));
  }

  async fgetattr(path: string, fd: Fd): Promise<FileStat> {
    const open = this.fds.get(fd);
    if (open === undefined) return this.getattr(path);
    const node = nodeOf(this.state, open.inode);
    if (node === undefined) throw new TgfsError('NOT_FOUND', `${path}: no such file`);
    return this.statOf(node);
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const dir = nodeAt(this.state, path);
    if (dir.kind !== 'dir') throw new TgfsError('NOT_DIR', `${path}: not a directory`);
    const out: DirEntry[] = [];
    for (const [name, inode] of childrenOf(this.state, dir.inode)) {
      const node = nodeOf(this.state, inode);
      if (node !== undefined) out.push({ name, stat: this.statOf(node) });
    }
    return out;
  }

  async readlink(path: string): Promise<string> {
    const node = nodeAt(this.state, path);
    if (node.kind !== 'symlink' || node.target === undefined) {
      throw new TgfsError('INVALID_ARGUMENT', `${path}: not a symbolic link`);
    }
    return node.target;
  }

  async statfs(): Promise<FsStats> {
    const files = liveCount(this.state);
    const space = await (this.options.space?.() ?? Promise.resolve(UNKNOWN_SPACE));
    // The kernel's statfs carries 32-bit block counts here: larger disks are described in larger blocks.
    let { blockSize, blocks, blocksFree, blocksAvailable } = space;
    while (blocks > 0xffffffff) {
      blockSize *= 2;
      blocks = Math.floor(blocks / 2);
      blocksFree = Math.floor(blocksFree / 2);
      blocksAvailable = Math.floor(blocksAvailable / 2);
    }
    return {
      blockSize,
      blocks,
      blocksFree,
      blocksAvailable,
      files: files + 2 ** 24,
      filesFree: 2 ** 24,
      nameMax: NAME_MAX_BYTES,
    };
  }

  async getxattr(path: string, name: string): Promise<Buffer> {
    const value = nodeAt(this.state, path).xattrs.get(name);
    if (value === undefined) throw new TgfsError('NO_XATTR', `${path}: no attribute ${name}`);
    return Buffer.from(value);
  }

  async listxattr(path: string): Promise<string[]> {
    return [...nodeAt(this.state, path).xattrs.keys()].sort();
  }

  // ---- files -------------------------------------------------------------------------------------------

  async open(path: string, flags: number): Promise<Fd> {
    const node = nodeAt(this.state, path);
    const wantsWrite = (flags & 3) !== constants.O_RDONLY;
    if (wantsWrite) this.assertWritable(path);
    if (node.kind === 'dir' && wantsWrite) throw new TgfsError('IS_DIR', `${path}: is a directory`);
    return this.allocFd(node.inode, path);
  }

  async create(path: string, mode: number, uid: number, gid: number): Promise<Fd> {
    const inode = newInodeId();
    await this.change(path, { kind: 'create', path, inode, mode, uid, gid, nowMs: this.now() });
    return this.allocFd(inode, path);
  }

  async mknod(path: string, mode: number, rdev: number, uid: number, gid: number): Promise<void> {
    const type = mode & constants.S_IFMT;
    // mknod of a regular file (what some tools use instead of creat) is a create that is closed at once.
    if (type === constants.S_IFREG || type === 0)
      return this.release(await this.create(path, mode, uid, gid));
    const fileType = SPECIAL_TYPES.get(type);
    if (fileType === undefined)
      throw new TgfsError('INVALID_ARGUMENT', `${path}: mknod of file type 0o${type.toString(8)}`);
    await this.change(path, {
      kind: 'mknod',
      path,
      fileType,
      mode,
      rdev,
      inode: newInodeId(),
      uid,
      gid,
      nowMs: this.now(),
    });
  }

  async read(fd: Fd, buffer: Buffer, length: number, position: number): Promise<number> {
    const open = this.openFile(fd);
    const shared = this.copies.get(open.inode);
    if (shared !== undefined) return shared.copy.read(buffer, length, position);
    const node = nodeOf(this.state, open.inode);
    if (node === undefined) throw new TgfsError('NOT_FOUND', `${open.path}: no such file`);
    if (node.kind === 'dir') throw new TgfsError('IS_DIR', `${open.path}: is a directory`);
    if (position >= node.sizeBytes) return 0;
    const n = Math.min(length, node.sizeBytes - position);
    return this.readContentInto(node, position, buffer.subarray(0, n));
  }

  async write(fd: Fd, buffer: Buffer, length: number, position: number): Promise<number> {
    const open = this.openFile(fd);
    this.assertWritable(open.path);
    const copy = this.workingCopy(open);
    return copy.write(buffer, length, position, this.now());
  }

  async ftruncate(fd: Fd, sizeBytes: number): Promise<void> {
    const open = this.openFile(fd);
    this.assertWritable(open.path);
    const copy = this.workingCopy(open);
    copy.truncate(sizeBytes, this.now());
  }

  async fallocate(fd: Fd, mode: number, offset: number, length: number): Promise<void> {
    const open = this.openFile(fd);
    if ((mode & ~FALLOC_FL_KEEP_SIZE) !== 0) {
      throw new TgfsError('NOT_SUPPORTED', `${open.path}: fallocate mode ${mode} is not supported`);
    }
    if (offset < 0 || length <= 0) {
      throw new TgfsError('INVALID_ARGUMENT', `${open.path}: fallocate of ${length} bytes at ${offset}`);
    }
    this.assertWritable(open.path);
    const copy = this.workingCopy(open);
    copy.allocate(offset, length, (mode & FALLOC_FL_KEEP_SIZE) !== 0, this.now());
  }

  async truncate(path: string, sizeBytes: number): Promise<void> {
    this.assertWritable(path);
    decide(this.state, { kind: 'truncate', path });
    const node = nodeAt(this.state, path);
    // Content is read lazily, and only the bytes that survive a truncation ever are: `cp` over a file whose
    // old content is damaged truncates it to 0 first, and that must work.
    const copy = this.acquireCopy(node.inode, path);
    let failure: unknown;
    try {
      copy.truncate(sizeBytes, this.now());
      await this.commitContent(node.inode, path);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      this.releaseCopy(node.inode, failure);
    }
  }

  async flush(fd: Fd): Promise<void> {
    const open = this.fds.get(fd);
    if (open !== undefined) await this.commitContent(open.inode, open.path);
  }

  async fsync(fd: Fd): Promise<void> {
    const open = this.fds.get(fd);
    const committed = open !== undefined && (await this.commitContent(open.inode, open.path));
    // A file without buffered writes committed nothing: its earlier metadata changes still need the disk.
    if (!committed) await this.replica.sync();
  }

  async fsyncdir(_path: string): Promise<void> {
    await this.replica.sync();
  }

  async release(fd: Fd): Promise<void> {
    const open = this.fds.get(fd);
    if (open === undefined) return;
    let failure: unknown;
    try {
      await this.commitContent(open.inode, open.path);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      this.fds.delete(fd);
      if (open.holdsCopy) this.releaseCopy(open.inode, failure);
    }
  }

  // ---- namespace changes -------------------------------------------------------------------------------

  async mkdir(path: string, mode: number, uid: number, gid: number): Promise<void> {
    await this.change(path, { kind: 'mkdir', path, inode: newInodeId(), mode, uid, gid, nowMs: this.now() });
  }

  async symlink(target: string, path: string, uid: number, gid: number): Promise<void> {
    await this.change(path, {
      kind: 'symlink',
      path,
      target,
      inode: newInodeId(),
      uid,
      gid,
      nowMs: this.now(),
    });
  }

  async link(existing: string, path: string): Promise<void> {
    await this.change(path, { kind: 'link', existing, path, entry: newInodeId(), nowMs: this.now() });
  }

  async unlink(path: string): Promise<void> {
    await this.change(path, { kind: 'unlink', path, nowMs: this.now() });
  }

  async rmdir(path: string): Promise<void> {
    await this.change(path, { kind: 'rmdir', path, nowMs: this.now() });
  }

  async rename(from: string, to: string): Promise<void> {
    await this.change(to, { kind: 'rename', from, to, nowMs: this.now() });
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.setAttr({ kind: 'chmod', path, mode });
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.setAttr({ kind: 'chown', path, uid, gid });
  }

  async utimens(path: string, atimeMs: number, mtimeMs: number): Promise<void> {
    await this.setAttr({ kind: 'utimens', path, atimeMs, mtimeMs });
  }

  async setxattr(path: string, name: string, value: Buffer): Promise<void> {
    await this.setAttr({ kind: 'setxattr', path, name, value: Uint8Array.from(value) });
  }

  async removexattr(path: string, name: string): Promise<void> {
    const request: AttrRequest = { kind: 'removexattr', path, name };
    // A missing file or attribute is the more specific answer, so it comes ahead of a read-only mount's EROFS.
    if (this.options.readOnly) decide(this.state, request);
    await this.setAttr(request);
  }

  /**
   * Commits every dirty file: used on unmount, which must go on whatever fails here (a full disk): a file that
   * cannot be committed keeps its last committed content, and the log says which.
   */
  async flushAll(): Promise<void> {
    for (const [inode, open] of this.copies) {
      if (!open.copy.dirty) continue;
      try {
        await this.commitContent(inode, '(unmount)');
      } catch (err) {
        this.options.log?.(
          `inode ${inode}: ${open.copy.sizeBytes} bytes not committed at unmount, the file keeps its last committed content: ${(err as Error).message}`,
        );
      }
    }
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private async setAttr(request: AttrRequest): Promise<void> {
    const { path } = request;
    this.assertWritable(path);
    const node = nodeAt(this.state, path);
    // Buffered writes first: otherwise their later Write event would carry a newer mtime than `touch -d`/`cp -p` set.
    const open = this.copies.get(node.inode);
    if (open?.copy.dirty) await this.commitContent(node.inode, path);
    if (open !== undefined && request.kind === 'utimens') open.copy.mtimeMs = request.mtimeMs;
    await this.change(path, request);
  }

  /**
   * Namespace changes (create, mkdir, rename, chmod, …) are written to the log without waiting for the disk,
   * as a local filesystem does: POSIX makes them durable at fsync/fsyncdir, and here also at the next close of
   * a written file, whose synced Write carries every earlier event to disk with it. The request is decided
   * inside the commit, against the state every earlier commit left: two creates of one name cannot both find
   * it free.
   */
  private async change(path: string, request: FsRequest): Promise<void> {
    this.assertWritable(path);
    await this.replica.commit((state) => decide(state, request), { durable: false });
  }

  /** Commits the inode's buffered writes as a durable Write event; resolves with whether there were any. */
  private commitContent(inode: InodeId, path: string): Promise<boolean> {
    const previous = this.commitChains.get(inode) ?? Promise.resolve();
    const next = previous.then(async () => {
      const shared = this.copies.get(inode);
      if (shared === undefined || !shared.copy.dirty) return false;
      const copy = shared.copy;
      const { version, sizeBytes, mtimeMs, inline, extents } = await copy.settle();
      const body: WriteBody =
        inline !== undefined
          ? { inode, sizeBytes, inline, mtimeMs, path }
          : { inode, sizeBytes, extents: extents ?? [], mtimeMs, path };
      // File content is always committed durably: a close or fsync that returned has its data in the home.
      await this.replica.commit([{ type: 'Write', body }], { durable: true });
      copy.committedVersion = version;
      return true;
    });
    const settled = next.catch(() => undefined);
    this.commitChains.set(inode, settled);
    void settled.then(() => {
      if (this.commitChains.get(inode) === settled) this.commitChains.delete(inode);
    });
    return next;
  }

  /** Synchronous, so that a write copies the kernel's buffer before anything can wait (FileSystemApi.write). */
  private workingCopy(open: OpenFile): WorkingCopy {
    if (open.holdsCopy) return this.copies.get(open.inode)!.copy;
    const copy = this.acquireCopy(open.inode, open.path);
    if (open.holdsCopy) this.releaseCopy(open.inode);
    open.holdsCopy = true;
    return copy;
  }

  private acquireCopy(inode: InodeId, path: string): WorkingCopy {
    const existing = this.copies.get(inode);
    if (existing !== undefined) {
      existing.refs++;
      return existing.copy;
    }
    const node = nodeOf(this.state, inode);
    if (node === undefined) throw new TgfsError('NOT_FOUND', `${path}: no such file`);
    // Nothing is read here: the copy reads committed chunks when asked for their bytes.
    const copy = new WorkingCopy(node, node.mtimeMs, this.content, this.budget);
    this.copies.set(inode, { copy, refs: 1 });
    return copy;
  }

  /**
   * Drops a reference; the last one drops a clean copy. A dirty one stays for a later commit, unless its commit
   * just failed for want of space: the writer got ENOSPC from close, and the file keeps its last committed
   * content instead of bytes held in memory that no later call would commit.
   */
  private releaseCopy(inode: InodeId, failure?: unknown): void {
    const shared = this.copies.get(inode);
    if (shared === undefined) return;
    shared.refs--;
    if (shared.refs > 0) return;
    if (shared.copy.dirty && isNoSpace(failure)) {
      this.options.log?.(
        `inode ${inode}: ${shared.copy.sizeBytes} bytes not committed (no space left), the file keeps its last committed content`,
      );
    } else if (shared.copy.dirty) return;
    this.copies.delete(inode);
    shared.copy.dispose();
  }

  /** Reads into `target` (at most its length); resolves with the bytes read. */
  private async readContentInto(node: InodeView, offset: number, target: Uint8Array): Promise<number> {
    if (node.inline !== undefined) {
      const bytes = node.inline.subarray(offset, offset + target.length);
      target.set(bytes);
      return bytes.length;
    }
    if (node.extents !== undefined) {
      try {
        const n = await this.content.readRangeInto(node.extents, offset, target);
        // Past the last extent, up to the size, is a hole.
        const wanted = Math.max(0, Math.min(target.length, node.sizeBytes - offset));
        if (n < wanted) target.fill(0, n, wanted);
        return Math.max(n, wanted);
      } catch (err) {
        const by =
          node.contentEvent === undefined
            ? ''
            : ` (content of event ${node.contentEvent.author}#${node.contentEvent.seq})`;
        this.options.log?.(`read of inode ${node.inode}${by} failed: ${(err as Error).message}`);
        throw err;
      }
    }
    // Created but never written: sparse zeros up to its size.
    const n = Math.max(0, Math.min(target.length, node.sizeBytes - offset));
    target.fill(0, 0, n);
    return n;
  }

  private statOf(node: InodeView): FileStat {
    const open = this.copies.get(node.inode);
    const typeBits = TYPE_BITS[node.kind];
    const sizeBytes =
      open !== undefined
        ? open.copy.sizeBytes
        : node.kind === 'symlink'
          ? Buffer.byteLength(node.target ?? '')
          : node.sizeBytes;
    const mtimeMs = open !== undefined ? open.copy.mtimeMs : node.mtimeMs;
    return {
      mode: typeBits | (node.mode & PERMISSION_BITS),
      uid: isOwnerId(node.uid) ? node.uid : this.owner.uid,
      gid: isOwnerId(node.gid) ? node.gid : this.owner.gid,
      sizeBytes: node.kind === 'dir' ? 4096 : SPECIAL_TYPES.has(typeBits) ? 0 : sizeBytes,
      atimeMs: node.atimeMs,
      mtimeMs,
      // A buffered truncate or write changes the inode now, not when it is committed.
      ctimeMs: open?.copy.dirty === true ? Math.max(node.ctimeMs, mtimeMs) : node.ctimeMs,
      // A directory is linked from its parent, from its own ".", and from each subdirectory's "..". Anything
      // else has one link per name; an open file whose names are all gone has none.
      nlink:
        node.kind === 'dir'
          ? 2 + subdirectoryCount(this.state, node.inode)
          : linkCount(this.state, node.inode),
      ino: inodeNumberOf(node.inode),
      rdev: node.rdev,
      // What du counts: the bytes held, holes excluded.
      storedBytes:
        node.kind === 'dir'
          ? 4096
          : open !== undefined
            ? open.copy.storedBytes
            : this.storedBytesOf(node, sizeBytes),
    };
  }

  private storedBytesOf(node: InodeView, sizeBytes: number): number {
    if (node.inline !== undefined) return node.inline.length;
    if (node.extents === undefined) return node.kind === 'symlink' ? sizeBytes : 0;
    let bytes = storedBytesOf.get(node.extents);
    if (bytes === undefined) {
      bytes = storedBytes(node.extents);
      storedBytesOf.set(node.extents, bytes);
    }
    return bytes;
  }

  private allocFd(inode: InodeId, path: string): Fd {
    const fd = this.nextFd++;
    this.fds.set(fd, { inode, path, holdsCopy: false });
    return fd;
  }

  private openFile(fd: Fd): OpenFile {
    const open = this.fds.get(fd);
    if (open === undefined) throw new TgfsError('INVALID_ARGUMENT', `file handle ${fd} is not open`);
    return open;
  }

  private assertWritable(path: string): void {
    if (this.options.readOnly) throw new TgfsError('READ_ONLY', `${path}: this mount is read-only`);
  }
}
