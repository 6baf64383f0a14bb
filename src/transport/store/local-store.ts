import { randomBytes } from 'node:crypto';
import {
  appendFile,
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isNoSpace } from '../../disk/no-space.js';
import { DEFAULT_RESERVE_BYTES, SpaceReserve } from '../../disk/space-reserve.js';
import { TgfsError } from '../../errors.js';
import type { ByteRange, MessageId, MessageStore, StoredMessage } from './message-store.js';
import { checkAppendArgs, checkListArgs, checkRange } from './store-args.js';

/**
 * A `MessageStore` in a local directory that several processes (several homes on one machine) may append to at
 * once, without a lock:
 *
 *   DIR/tgcryptfs-store      marker: names the format, so a random directory is never mistaken for a store
 *   DIR/msg/0000000000000042 one file per message: header (caption, size, date) then the bytes
 *   DIR/tmp/…                messages being written
 *   DIR/deleted.log          ids deleted, one per line, appended (O_APPEND) after the tombstone is in place
 *
 * Append writes the message to tmp/, fsyncs it, then hard-links it to msg/<id> for id = (largest id known to
 * exist) + 1, moving on to the next id on EEXIST. `link` fails rather than replaces, so an id goes to exactly one
 * message, and a reader sees a message whole or not at all. Every id is tried only once its predecessor exists,
 * and names are never removed (a delete replaces the file by a tombstone), so the ids in msg/ are always
 * exactly 1..max: ids are never reused, and a reader that finds id N missing knows nothing after N exists yet —
 * a sync that pulls "everything after the last id seen" cannot skip a message that was published late.
 *
 * Message file layout (little-endian): "TGFSMSG1", u32 caption byte length, u64 data byte length, f64 dateMs,
 * caption (UTF-8), data. A tombstone is the 8 bytes "TGFSDEL1". Bytes are not checksummed here: what tgcryptfs
 * stores is sealed with an AEAD above this layer; the header's lengths still catch truncation.
 *
 * A published message never changes except into a tombstone, so headers are cached; the deletion log tells every
 * process which cached headers went stale, at the cost of one `stat` per `list`.
 *
 * On a full disk an append fails with NO_SPACE and leaves nothing behind. Appends also stop short of the last
 * `reserveBytes` of the filesystem: a store inside a home shares its disk with the op log, which must still
 * find room to record what happened.
 */

const MARKER_NAME = 'tgcryptfs-store';
const MARKER_TEXT = 'tgcryptfs local message store, format 1\n';
const MSG_MAGIC = Buffer.from('TGFSMSG1', 'latin1');
const DEL_MAGIC = Buffer.from('TGFSDEL1', 'latin1');
const FIXED_HEADER_BYTES = 8 + 4 + 8 + 8;
// A caption is at most 1024 UTF-16 units, so at most 3072 UTF-8 bytes: one read gets any header.
const HEADER_READ_BYTES = 4096;
const ID_DIGITS = 16;
// After this many ids taken by other processes in a row, re-read the directory instead of walking up one by one.
const RESCAN_AFTER_COLLISIONS = 8;
// A temp file this old belongs to an append that crashed.
const STALE_TMP_MS = 24 * 60 * 60 * 1000;

export interface LocalMessageStoreOptions {
  /** fsync each message and the directory before append returns (default true). Tests may turn it off. */
  readonly durable?: boolean;
  readonly now?: () => number;
  /** Free space an append may not eat into (default DEFAULT_RESERVE_BYTES, 8 MiB; 0 for none). */
  readonly reserveBytes?: number;
}

type Probe =
  | { readonly kind: 'live'; readonly meta: StoredMessage }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'absent' };

interface Header {
  readonly meta: StoredMessage;
  readonly dataOffset: number;
}

export class LocalMessageStore implements MessageStore {
  private readonly msgDir: string;
  private readonly tmpDir: string;
  private readonly durable: boolean;
  private readonly now: () => number;
  private readonly space: SpaceReserve;
  // Largest id known to exist; appends start trying from the next one.
  private knownMax: MessageId;
  // Tombstones are final, so remembering them saves re-reading deleted messages on every list.
  private readonly tombstones = new Set<MessageId>();
  private readonly headers = new Map<MessageId, StoredMessage>();
  private deletionLogOffset = 0;
  private closed = false;

  private constructor(
    readonly dir: string,
    knownMax: MessageId,
    options: LocalMessageStoreOptions,
  ) {
    this.msgDir = join(dir, 'msg');
    this.tmpDir = join(dir, 'tmp');
    this.durable = options.durable ?? true;
    this.now = options.now ?? Date.now;
    this.space = new SpaceReserve(dir, options.reserveBytes ?? DEFAULT_RESERVE_BYTES);
    this.knownMax = knownMax;
  }

  /** Opens the store in `dir`, creating it if missing. A path that is not a store directory is refused. */
  static async open(dir: string, options: LocalMessageStoreOptions = {}): Promise<LocalMessageStore> {
    const root = resolve(dir);
    await prepareDir(root);
    const msgDir = join(root, 'msg');
    const tmpDir = join(root, 'tmp');
    await mkdirOrFail(msgDir);
    await mkdirOrFail(tmpDir);
    await removeStaleTmp(tmpDir, (options.now ?? Date.now)());
    return new LocalMessageStore(root, await scanMaxId(msgDir), options);
  }

  async append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    this.checkOpen();
    checkAppendArgs(caption, bytes);
    const captionBytes = Buffer.from(caption, 'utf8');
    const header = Buffer.alloc(FIXED_HEADER_BYTES);
    MSG_MAGIC.copy(header, 0);
    header.writeUInt32LE(captionBytes.length, 8);
    header.writeBigUInt64LE(BigInt(bytes.byteLength), 12);
    header.writeDoubleLE(this.now(), 20);

    await this.space.claim(header.length + captionBytes.length + bytes.byteLength, 'a message');
    const tmp = await this.writeTmp([header, captionBytes, bytes]);
    try {
      const id = await this.publish(tmp);
      if (this.durable) await fsyncDir(this.msgDir);
      return id;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async list(afterId: MessageId, limit = 100): Promise<StoredMessage[]> {
    this.checkOpen();
    checkListArgs(afterId, limit);
    await this.catchUpDeletions();
    const out: StoredMessage[] = [];
    let next = afterId + 1;
    while (out.length < limit) {
      // Probe a batch of consecutive ids in parallel; the first absent one ends the listing.
      const ids: MessageId[] = [];
      for (let id = next; ids.length < limit - out.length; id++) if (!this.tombstones.has(id)) ids.push(id);
      const probes = await Promise.all(ids.map((id) => this.probe(id)));
      let ended = false;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const probe = probes[i]!;
        if (probe.kind === 'absent') {
          if (await this.isHole(id)) continue;
          ended = true;
          break;
        }
        next = id + 1;
        if (probe.kind === 'live') out.push(probe.meta);
      }
      if (ended) break;
      next = Math.max(next, ids[ids.length - 1]! + 1);
    }
    return out;
  }

  async read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    this.checkOpen();
    checkRange(range);
    const fh = await this.openMessage(id);
    if (fh === undefined) throw missing(id);
    try {
      const head = await readHead(fh);
      if (isTombstone(head)) throw missing(id);
      const { meta, dataOffset } = this.parseHeader(id, head);
      const { size } = await fh.stat();
      if (size !== dataOffset + meta.sizeBytes) {
        throw this.corrupt(id, `file is ${size} bytes, its header says ${dataOffset + meta.sizeBytes}`);
      }
      const start = Math.min(range?.offset ?? 0, meta.sizeBytes);
      const end = range === undefined ? meta.sizeBytes : Math.min(start + range.length, meta.sizeBytes);
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await fh.read(out, done, out.length - done, dataOffset + start + done);
        if (bytesRead === 0) throw this.corrupt(id, 'file ended early while reading');
        done += bytesRead;
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  async delete(ids: readonly MessageId[]): Promise<void> {
    this.checkOpen();
    const deleted: MessageId[] = [];
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || id < 1 || this.tombstones.has(id)) continue;
      const path = this.pathOf(id);
      // Only replace a name that exists: creating one would publish an id out of order.
      const exists = await stat(path).then(
        () => true,
        (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
      );
      if (!exists) continue;
      const tmp = await this.writeTmp([DEL_MAGIC]);
      try {
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw unavailable(`cannot delete message ${id} in ${this.dir}`, err);
      }
      this.forget(id);
      deleted.push(id);
    }
    if (deleted.length === 0) return;
    if (this.durable) await fsyncDir(this.msgDir);
    // One write with O_APPEND: lines from concurrent deleters do not interleave on a local filesystem.
    await appendFile(this.deletionLog, deleted.map((id) => `${id}\n`).join('')).catch((err) => {
      throw unavailable(`cannot record deletions in ${this.deletionLog}`, err);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private forget(id: MessageId): void {
    this.headers.delete(id);
    this.tombstones.add(id);
  }

  /** Drops cached headers of messages other processes deleted since the last look at the deletion log. */
  private async catchUpDeletions(): Promise<void> {
    const size = await stat(this.deletionLog).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? 0 : Promise.reject(err)),
    );
    if (size <= this.deletionLogOffset) return;
    const fh = await open(this.deletionLog, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - this.deletionLogOffset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.deletionLogOffset);
      text = buf.toString('latin1', 0, bytesRead);
    } finally {
      await fh.close();
    }
    // Consume whole lines only: a deleter may be midway through its write.
    const end = text.lastIndexOf('\n') + 1;
    this.deletionLogOffset += end;
    for (const line of text.slice(0, end).split('\n')) {
      const id = Number(line);
      if (line !== '' && Number.isSafeInteger(id)) this.forget(id);
    }
  }

  private get deletionLog(): string {
    return join(this.dir, 'deleted.log');
  }

  private pathOf(id: MessageId): string {
    return join(this.msgDir, String(id).padStart(ID_DIGITS, '0'));
  }

  private async writeTmp(parts: readonly Uint8Array[]): Promise<string> {
    const tmp = join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'wx');
    } catch (err) {
      throw unavailable(`cannot write to ${this.tmpDir}`, err);
    }
    try {
      await fh.writev(
        parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength))),
      );
      if (this.durable) await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw unavailable(`cannot write to ${this.tmpDir}`, err);
    }
    await fh.close();
    return tmp;
  }

  private async publish(tmp: string): Promise<MessageId> {
    let candidate = this.knownMax + 1;
    let collisions = 0;
    for (;;) {
      try {
        await link(tmp, this.pathOf(candidate));
        this.knownMax = Math.max(this.knownMax, candidate);
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw unavailable(`cannot publish a message in ${this.msgDir}`, err);
        }
      }
      // `candidate` exists, so trying the next id keeps ids contiguous.
      this.knownMax = Math.max(this.knownMax, candidate);
      if (++collisions % RESCAN_AFTER_COLLISIONS === 0) {
        this.knownMax = Math.max(this.knownMax, await scanMaxId(this.msgDir));
      }
      candidate = this.knownMax + 1;
    }
  }

  private async openMessage(id: MessageId): Promise<FileHandle | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    try {
      return await open(this.pathOf(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unavailable(`cannot open message ${id} in ${this.dir}`, err);
    }
  }

  private async probe(id: MessageId): Promise<Probe> {
    const cached = this.headers.get(id);
    if (cached !== undefined) return { kind: 'live', meta: cached };
    const fh = await this.openMessage(id);
    if (fh === undefined) return { kind: 'absent' };
    try {
      const head = await readHead(fh);
      if (isTombstone(head)) {
        this.tombstones.add(id);
        return { kind: 'deleted' };
      }
      this.knownMax = Math.max(this.knownMax, id);
      const { meta } = this.parseHeader(id, head);
      this.headers.set(id, meta);
      return { kind: 'live', meta };
    } finally {
      await fh.close();
    }
  }

  /**
   * Whether absent `id` is a hole: a file removed from outside tgcryptfs while later ids exist. Normal stores
   * have none; treating one as deleted keeps the messages after it reachable (reading it says it is missing).
   */
  private async isHole(id: MessageId): Promise<boolean> {
    if ((await scanMaxId(this.msgDir)) <= id) return false;
    // A later id exists, so `id` existed before it was taken unless removed by hand: look again to be sure.
    return (await this.probe(id)).kind === 'absent';
  }

  private parseHeader(id: MessageId, head: Buffer): Header {
    if (head.length < FIXED_HEADER_BYTES) throw this.corrupt(id, `header cut short at ${head.length} bytes`);
    if (!head.subarray(0, 8).equals(MSG_MAGIC)) throw this.corrupt(id, 'not a message file (bad magic)');
    const captionBytes = head.readUInt32LE(8);
    const size = head.readBigUInt64LE(12);
    const dateMs = head.readDoubleLE(20);
    if (captionBytes > HEADER_READ_BYTES - FIXED_HEADER_BYTES || size > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw this.corrupt(id, 'header lengths out of range');
    }
    const dataOffset = FIXED_HEADER_BYTES + captionBytes;
    if (head.length < dataOffset) throw this.corrupt(id, `caption cut short at ${head.length} bytes`);
    const caption = head.toString('utf8', FIXED_HEADER_BYTES, dataOffset);
    return { meta: { id, caption, sizeBytes: Number(size), dateMs }, dataOffset };
  }

  private corrupt(id: MessageId, why: string): TgfsError {
    return new TgfsError('STORE_CORRUPT', `message ${id} in ${this.msgDir} is corrupt: ${why}`);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`LocalMessageStore ${this.dir} is closed`);
  }
}

function missing(id: MessageId): TgfsError {
  return new TgfsError('STORE_OBJECT_MISSING', `message ${id} does not exist`);
}

function unavailable(what: string, cause: unknown): TgfsError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  // Not worth the retrying wrapper's seconds of backoff: a full disk waits for someone to free space.
  if (isNoSpace(cause)) return new TgfsError('NO_SPACE', `${what}: no space left on the device`, { cause });
  return new TgfsError('STORE_UNAVAILABLE', `${what}${code ? ` (${code})` : ''}`, { cause });
}

async function readHead(fh: FileHandle): Promise<Buffer> {
  const buf = Buffer.alloc(HEADER_READ_BYTES);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function isTombstone(head: Buffer): boolean {
  return head.length === DEL_MAGIC.length && head.equals(DEL_MAGIC);
}

async function scanMaxId(msgDir: string): Promise<MessageId> {
  let names: string[];
  try {
    names = await readdir(msgDir);
  } catch (err) {
    throw unavailable(`cannot list ${msgDir}`, err);
  }
  let max = 0;
  for (const name of names) {
    if (name.length !== ID_DIGITS || !/^\d+$/.test(name)) continue;
    max = Math.max(max, Number(name));
  }
  return max;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the file itself was synced already.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes((err as NodeJS.ErrnoException).code ?? ''))
      throw err;
  } finally {
    await fh.close();
  }
}

function invalidPath(dir: string, why: string, cause?: unknown): TgfsError {
  return new TgfsError('STORE_PATH_INVALID', `cannot use ${dir} as a local message store: ${why}`, { cause });
}

async function mkdirOrFail(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw invalidPath(dir, 'a file is in the way', err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      throw invalidPath(dir, `permission denied (${code})`, err);
    throw unavailable(`cannot create ${dir}`, err);
  }
}

/** Makes `root` a store directory, or refuses one that holds something else. */
async function prepareDir(root: string): Promise<void> {
  const info = await stat(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    if (err.code === 'ENOTDIR') throw invalidPath(root, 'a parent is a file', err);
    throw unavailable(`cannot open ${root}`, err);
  });
  if (info !== undefined && !info.isDirectory()) throw invalidPath(root, 'it is a file, not a directory');
  await mkdirOrFail(root);

  const marker = join(root, MARKER_NAME);
  const text = await readFile(marker, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw unavailable(`cannot read ${marker}`, err);
  });
  if (text !== undefined) {
    if (text !== MARKER_TEXT) throw invalidPath(root, `${marker} names an unknown store format`);
    return;
  }
  // No marker: only an empty directory (or one another process is setting up right now) becomes a store,
  // so pointing the store at a home directory by mistake cannot scatter files in it.
  const ours = new Set(['msg', 'tmp', 'deleted.log']);
  const names = await readdir(root);
  const foreign = names.filter((n) => !ours.has(n) && !n.startsWith(`.${MARKER_NAME}.`) && n !== MARKER_NAME);
  if (foreign.length > 0) {
    throw invalidPath(
      root,
      `it is not empty and is not a tgcryptfs store (found ${JSON.stringify(foreign[0])})`,
    );
  }
  // Write then link, so a concurrent opener never reads a half-written marker; EEXIST means another won.
  const tmp = join(root, `.${MARKER_NAME}.${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(MARKER_TEXT);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, marker).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } catch (err) {
    if (err instanceof TgfsError) throw err;
    throw unavailable(`cannot write ${marker}`, err);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function removeStaleTmp(tmpDir: string, nowMs: number): Promise<void> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && nowMs - info.mtimeMs > STALE_TMP_MS) await unlink(path).catch(() => undefined);
  }
}
