import { constants } from 'node:fs';
import { newInodeId } from '../crypto/ids.js';
import { TgfsError } from '../errors.js';
import type { CreateBody, Extent, InodeId, InodeKind, WriteBody } from '../events/types.js';
import { ROOT_INODE } from '../events/types.js';
import {
  childrenOf,
  type InodeView,
  liveCount,
  lookup,
  nodeOf,
  resolvePath,
} from '../projections/namespace/queries.js';
import type { NamespaceState } from '../projections/namespace/state.js';
import type { Command, Replica } from '../projections/replica.js';
import type { DirEntry, Fd, FileStat, FileSystemApi, FsStats } from './file-system-api.js';
import { PrestagedContent, type SettlingContentStore } from './prestaged-content.js';
import { WorkingCopy } from './working-copy.js';

/** Files up to this size are stored inline in their `Write` event instead of as chunks. */
export const INLINE_MAX_BYTES = 4096;
const NAME_MAX_BYTES = 255;
const PERMISSION_BITS = 0o7777;

/** Where file content goes and comes from: chunked, sealed, durable in the home before `putFile` resolves. */
export interface ContentStore extends SettlingContentStore {
  readRange(extents: readonly Extent[], offset: number, length: number): Promise<Uint8Array>;
  /** The same bytes written into `target`; resolves with how many (short at the end of the file). */
  readRangeInto(extents: readonly Extent[], offset: number, target: Uint8Array): Promise<number>;
}

export interface EncryptedFileSystemOptions {
  readonly readOnly?: boolean;
  /** Called after events were committed, so the caller can schedule a push to the store. */
  readonly onCommit?: () => void;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

interface OpenFile {
  readonly inode: InodeId;
  readonly path: string;
  /** Whether this handle holds a reference on the inode's working copy (taken at its first change). */
  holdsCopy: boolean;
}

interface SharedCopy {
  copy: WorkingCopy;
  prestaged: PrestagedContent;
  refs: number;
}

/**
 * The filesystem a mount serves: POSIX calls become commands against the namespace replica (signed events
 * in the op log), reads are served from the projection and the content store.
 */
export class EncryptedFileSystem implements FileSystemApi {
  private readonly fds = new Map<Fd, OpenFile>();
  private nextFd = 1;
  private readonly copies = new Map<InodeId, SharedCopy>();
  /** Serialises content commits per inode so two flushes never race on one file. */
  private readonly commitChains = new Map<InodeId, Promise<unknown>>();
  private readonly inos = new Map<InodeId, number>([[ROOT_INODE, 1]]);
  private readonly now: () => number;

  constructor(
    private readonly replica: Replica<NamespaceState>,
    private readonly content: ContentStore,
    private readonly options: EncryptedFileSystemOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  private get state(): NamespaceState {
    return this.replica.state;
  }

  // ---- reads -------------------------------------------------------------------------------------------

  async getattr(path: string): Promise<FileStat> {
    return this.statOf(this.nodeAt(path));
  }

  async fgetattr(path: string, fd: Fd): Promise<FileStat> {
    const open = this.fds.get(fd);
    if (open === undefined) return this.getattr(path);
    const node = nodeOf(this.state, open.inode);
    if (node === undefined) throw new TgfsError('NOT_FOUND', `${path}: no such file`);
    return this.statOf(node);
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const dir = this.nodeAt(path);
    if (dir.kind !== 'dir') throw new TgfsError('NOT_DIR', `${path}: not a directory`);
    const out: DirEntry[] = [];
    for (const [name, inode] of childrenOf(this.state, dir.inode)) {
      const node = nodeOf(this.state, inode);
      if (node !== undefined) out.push({ name, stat: this.statOf(node) });
    }
    return out;
  }

  async readlink(path: string): Promise<string> {
    const node = this.nodeAt(path);
    if (node.kind !== 'symlink' || node.target === undefined) {
      throw new TgfsError('INVALID_ARGUMENT', `${path}: not a symbolic link`);
    }
    return node.target;
  }

  async statfs(): Promise<FsStats> {
    const files = liveCount(this.state);
    return {
      blockSize: 4096,
      blocks: 2 ** 32,
      blocksFree: 2 ** 31,
      files: files + 2 ** 24,
      filesFree: 2 ** 24,
      nameMax: NAME_MAX_BYTES,
    };
  }

  async getxattr(path: string, name: string): Promise<Buffer> {
    const value = this.nodeAt(path).xattrs.get(name);
    if (value === undefined) throw new TgfsError('NO_XATTR', `${path}: no attribute ${name}`);
    return Buffer.from(value);
  }

  async listxattr(path: string): Promise<string[]> {
    return [...this.nodeAt(path).xattrs.keys()].sort();
  }

  // ---- files -------------------------------------------------------------------------------------------

  async open(path: string, flags: number): Promise<Fd> {
    const node = this.nodeAt(path);
    const wantsWrite = (flags & 3) !== constants.O_RDONLY;
    if (wantsWrite) this.assertWritable(path);
    if (node.kind === 'dir' && wantsWrite) throw new TgfsError('IS_DIR', `${path}: is a directory`);
    return this.allocFd(node.inode, path);
  }

  async create(path: string, mode: number, uid: number, gid: number): Promise<Fd> {
    const inode = await this.createEntry(path, { kind: 'file', mode, uid, gid });
    return this.allocFd(inode, path);
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
    const copy = await this.workingCopy(open);
    return copy.write(buffer, length, position, this.now());
  }

  async ftruncate(fd: Fd, sizeBytes: number): Promise<void> {
    const open = this.openFile(fd);
    this.assertWritable(open.path);
    const copy = await this.workingCopy(open, sizeBytes);
    copy.truncate(sizeBytes, this.now());
  }

  async truncate(path: string, sizeBytes: number): Promise<void> {
    this.assertWritable(path);
    const node = this.nodeAt(path);
    if (node.kind === 'dir') throw new TgfsError('IS_DIR', `${path}: is a directory`);
    // Only the bytes that survive the truncation are read: `cp` over a file whose old content is damaged
    // truncates it to 0 first, and that must work.
    const copy = await this.acquireCopy(node.inode, path, sizeBytes);
    try {
      copy.truncate(sizeBytes, this.now());
      await this.commitContent(node.inode, path);
    } finally {
      this.releaseCopy(node.inode);
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
    try {
      await this.commitContent(open.inode, open.path);
    } finally {
      this.fds.delete(fd);
      if (open.holdsCopy) this.releaseCopy(open.inode);
    }
  }

  // ---- namespace changes -------------------------------------------------------------------------------

  async mkdir(path: string, mode: number, uid: number, gid: number): Promise<void> {
    await this.createEntry(path, { kind: 'dir', mode, uid, gid });
  }

  async symlink(target: string, path: string, uid: number, gid: number): Promise<void> {
    await this.createEntry(path, { kind: 'symlink', mode: 0o777, uid, gid, target });
  }

  /** A new file, directory or symlink at `path` (whose name must be free): one Create event. */
  private async createEntry(
    path: string,
    entry: { kind: InodeKind; mode: number; uid: number; gid: number; target?: string },
  ): Promise<InodeId> {
    this.assertWritable(path);
    const { parent, name } = this.freeName(path);
    const inode = newInodeId();
    const body: CreateBody = {
      inode,
      parent,
      name,
      kind: entry.kind,
      mode: entry.mode & PERMISSION_BITS,
      uid: entry.uid,
      gid: entry.gid,
      mtimeMs: this.now(),
      path,
      ...(entry.target === undefined ? {} : { target: entry.target }),
    };
    await this.commit([{ type: 'Create', body }, this.touchDir(parent, path, body.mtimeMs)]);
    return inode;
  }

  /**
   * A directory's mtime moves when an entry is added, removed or renamed in it, as POSIX says (`find -newer`,
   * backup tools and `ls -lt` rely on it). It rides in the same commit as the change; a later explicit time
   * (tar restoring a directory's mtime after its contents) sorts after it and wins.
   */
  private touchDir(dir: InodeId, childPath: string, mtimeMs: number = this.now()): Command {
    return { type: 'SetAttr', body: { inode: dir, mtimeMs, path: splitPath(childPath).parentPath } };
  }

  async link(_existing: string, path: string): Promise<void> {
    throw new TgfsError('NOT_PERMITTED', `${path}: hard links are not supported`);
  }

  async unlink(path: string): Promise<void> {
    this.assertWritable(path);
    const node = this.nodeAt(path);
    if (node.kind === 'dir') throw new TgfsError('IS_DIR', `${path}: is a directory`);
    await this.commit([
      { type: 'Delete', body: { inode: node.inode, path } },
      this.touchDir(node.parent, path),
    ]);
  }

  async rmdir(path: string): Promise<void> {
    this.assertWritable(path);
    const node = this.nodeAt(path);
    if (node.kind !== 'dir') throw new TgfsError('NOT_DIR', `${path}: not a directory`);
    if (node.inode === ROOT_INODE)
      throw new TgfsError('ACCESS_DENIED', 'the root directory cannot be removed');
    if (childrenOf(this.state, node.inode).length > 0)
      throw new TgfsError('NOT_EMPTY', `${path}: directory not empty`);
    await this.commit([
      { type: 'Delete', body: { inode: node.inode, path } },
      this.touchDir(node.parent, path),
    ]);
  }

  async rename(from: string, to: string): Promise<void> {
    this.assertWritable(to);
    const source = this.nodeAt(from);
    if (source.inode === ROOT_INODE)
      throw new TgfsError('INVALID_ARGUMENT', 'the root directory cannot be moved');
    const { parentPath, name } = splitPath(to);
    checkName(name, to);
    const parent = this.nodeAt(parentPath);
    if (parent.kind !== 'dir') throw new TgfsError('NOT_DIR', `${parentPath}: not a directory`);
    if (source.kind === 'dir' && this.isSelfOrAncestor(source.inode, parent.inode)) {
      throw new TgfsError('INVALID_ARGUMENT', `cannot move ${from} into itself (${to})`);
    }
    const commands: Command[] = [];
    const existing = lookup(this.state, parent.inode, name);
    if (existing === source.inode) return;
    if (existing !== undefined) {
      const target = nodeOf(this.state, existing)!;
      if (target.kind === 'dir' && source.kind !== 'dir')
        throw new TgfsError('IS_DIR', `${to}: is a directory`);
      if (target.kind !== 'dir' && source.kind === 'dir')
        throw new TgfsError('NOT_DIR', `${to}: not a directory`);
      if (target.kind === 'dir' && childrenOf(this.state, target.inode).length > 0) {
        throw new TgfsError('NOT_EMPTY', `${to}: directory not empty`);
      }
      commands.push({ type: 'Delete', body: { inode: existing, path: to } });
    }
    commands.push({ type: 'Move', body: { inode: source.inode, parent: parent.inode, name, path: to } });
    const now = this.now();
    commands.push(this.touchDir(parent.inode, to, now));
    if (source.parent !== parent.inode) commands.push(this.touchDir(source.parent, from, now));
    // One commit: the target's removal and the move land in one synced batch, as rename(2) is atomic.
    await this.commit(commands);
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.setAttr(path, { mode: mode & PERMISSION_BITS });
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.setAttr(path, { uid, gid });
  }

  async utimens(path: string, atimeMs: number, mtimeMs: number): Promise<void> {
    await this.setAttr(path, { atimeMs, mtimeMs });
  }

  async setxattr(path: string, name: string, value: Buffer): Promise<void> {
    await this.setAttr(path, { xattrSet: { [name]: Uint8Array.from(value) } });
  }

  async removexattr(path: string, name: string): Promise<void> {
    const node = this.nodeAt(path);
    if (!node.xattrs.has(name)) throw new TgfsError('NO_XATTR', `${path}: no attribute ${name}`);
    await this.setAttr(path, { xattrRemove: [name] });
  }

  /** Commits every dirty file: used on unmount. */
  async flushAll(): Promise<void> {
    for (const [inode, open] of this.copies) {
      if (open.copy.dirty) await this.commitContent(inode, '(unmount)');
    }
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private async setAttr(
    path: string,
    attrs: {
      mode?: number;
      uid?: number;
      gid?: number;
      atimeMs?: number;
      mtimeMs?: number;
      xattrSet?: Record<string, Uint8Array>;
      xattrRemove?: string[];
    },
  ): Promise<void> {
    this.assertWritable(path);
    const node = this.nodeAt(path);
    // Buffered writes first: otherwise their later Write event would carry a newer mtime than `touch -d`/`cp -p` set.
    const open = this.copies.get(node.inode);
    if (open?.copy.dirty) await this.commitContent(node.inode, path);
    if (open !== undefined && attrs.mtimeMs !== undefined) open.copy.mtimeMs = attrs.mtimeMs;
    await this.commit([{ type: 'SetAttr', body: { inode: node.inode, ...attrs, path } }]);
  }

  /**
   * Namespace changes (create, mkdir, rename, chmod, …) are written to the log without waiting for the disk,
   * as a local filesystem does: POSIX makes them durable at fsync/fsyncdir, and here also at the next close of
   * a written file, whose synced Write carries every earlier event to disk with it. File content is always
   * committed durably: a close or fsync that returned has its data in the home.
   */
  private async commit(commands: Command[], durable = false): Promise<void> {
    await this.replica.commit(commands, { durable });
    this.options.onCommit?.();
  }

  /** Commits the inode's buffered writes as a durable Write event; resolves with whether there were any. */
  private commitContent(inode: InodeId, path: string): Promise<boolean> {
    const previous = this.commitChains.get(inode) ?? Promise.resolve();
    const next = previous.then(async () => {
      const shared = this.copies.get(inode);
      if (shared === undefined || !shared.copy.dirty) return false;
      const copy = shared.copy;
      const version = copy.version;
      const bytes = copy.bytes();
      const mtimeMs = copy.mtimeMs;
      // Both branches take what they need of `bytes` before any await: writes may go on meanwhile.
      const body: WriteBody =
        bytes.length <= INLINE_MAX_BYTES
          ? { inode, sizeBytes: bytes.length, inline: Uint8Array.from(bytes), mtimeMs, path }
          : {
              inode,
              sizeBytes: bytes.length,
              extents: await shared.prestaged.extentsOf(bytes),
              mtimeMs,
              path,
            };
      await this.commit([{ type: 'Write', body }], true);
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

  private async workingCopy(open: OpenFile, keepBytes?: number): Promise<WorkingCopy> {
    if (open.holdsCopy) return this.copies.get(open.inode)!.copy;
    const copy = await this.acquireCopy(open.inode, open.path, keepBytes);
    if (open.holdsCopy) this.releaseCopy(open.inode);
    open.holdsCopy = true;
    return copy;
  }

  private async acquireCopy(
    inode: InodeId,
    path: string,
    keepBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<WorkingCopy> {
    const existing = this.copies.get(inode);
    if (existing !== undefined) {
      existing.refs++;
      return existing.copy;
    }
    const node = nodeOf(this.state, inode);
    if (node === undefined) throw new TgfsError('NOT_FOUND', `${path}: no such file`);
    const loadBytes = Math.min(keepBytes, node.sizeBytes);
    const initial = loadBytes === 0 ? new Uint8Array(0) : await this.readContent(node, 0, loadBytes);
    const raced = this.copies.get(inode);
    if (raced !== undefined) {
      raced.refs++;
      return raced.copy;
    }
    const prestaged = new PrestagedContent(this.content);
    const copy: WorkingCopy = new WorkingCopy(initial, node.mtimeMs, (from) => {
      prestaged.changedFrom(from);
      prestaged.advance(copy.bytes());
    });
    this.copies.set(inode, { copy, prestaged, refs: 1 });
    return copy;
  }

  private releaseCopy(inode: InodeId): void {
    const shared = this.copies.get(inode);
    if (shared === undefined) return;
    shared.refs--;
    if (shared.refs <= 0 && !shared.copy.dirty) this.copies.delete(inode);
  }

  private async readContent(node: InodeView, offset: number, length: number): Promise<Uint8Array> {
    const out = Buffer.alloc(length);
    return out.subarray(0, await this.readContentInto(node, offset, out));
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
        return await this.content.readRangeInto(node.extents, offset, target);
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
    const typeBits =
      node.kind === 'dir'
        ? constants.S_IFDIR
        : node.kind === 'symlink'
          ? constants.S_IFLNK
          : constants.S_IFREG;
    const sizeBytes =
      open !== undefined
        ? open.copy.sizeBytes
        : node.kind === 'symlink'
          ? Buffer.byteLength(node.target ?? '')
          : node.sizeBytes;
    return {
      mode: typeBits | (node.mode & PERMISSION_BITS),
      uid: node.uid,
      gid: node.gid,
      sizeBytes: node.kind === 'dir' ? 4096 : sizeBytes,
      atimeMs: node.atimeMs,
      mtimeMs: open !== undefined ? open.copy.mtimeMs : node.mtimeMs,
      ctimeMs: node.ctimeMs,
      nlink: node.kind === 'dir' ? 2 : 1,
      ino: this.inoOf(node.inode),
    };
  }

  private inoOf(inode: InodeId): number {
    let ino = this.inos.get(inode);
    if (ino === undefined) {
      ino = this.inos.size + 1;
      this.inos.set(inode, ino);
    }
    return ino;
  }

  private nodeAt(path: string): InodeView {
    const inode = resolvePath(this.state, path);
    const node = inode === undefined ? undefined : nodeOf(this.state, inode);
    if (node === undefined) throw new TgfsError('NOT_FOUND', `${path}: no such file or directory`);
    return node;
  }

  /** The parent directory and a name that is free in it, for a new entry at `path`. */
  private freeName(path: string): { parent: InodeId; name: string } {
    const { parentPath, name } = splitPath(path);
    checkName(name, path);
    const parent = this.nodeAt(parentPath);
    if (parent.kind !== 'dir') throw new TgfsError('NOT_DIR', `${parentPath}: not a directory`);
    if (lookup(this.state, parent.inode, name) !== undefined)
      throw new TgfsError('EXISTS', `${path}: already exists`);
    return { parent: parent.inode, name };
  }

  private isSelfOrAncestor(candidate: InodeId, of: InodeId): boolean {
    let at: InodeId | undefined = of;
    for (let guard = 0; at !== undefined && guard < 1_000_000; guard++) {
      if (at === candidate) return true;
      if (at === ROOT_INODE) return false;
      at = nodeOf(this.state, at)?.parent;
    }
    return false;
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

function splitPath(path: string): { parentPath: string; name: string } {
  const at = path.lastIndexOf('/');
  return { parentPath: at <= 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

function checkName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..')
    throw new TgfsError('INVALID_ARGUMENT', `${path}: invalid name`);
  if (Buffer.byteLength(name) > NAME_MAX_BYTES)
    throw new TgfsError('NAME_TOO_LONG', `${path}: name too long`);
}
