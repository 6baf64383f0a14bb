import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asNoSpace } from '../../disk/no-space.js';
import type { SpaceReserve } from '../../disk/space-reserve.js';
import { TgfsError } from '../../errors.js';
import type { StagedLocation } from './chunk-index.js';

/** A new segment file once the active one holds this much. */
const SEGMENT_ROTATE_BYTES = 64 * 1024 * 1024;

interface ActiveSegment {
  readonly name: string;
  readonly handle: FileHandle;
  sizeBytes: number;
}

/**
 * Sealed chunks waiting for upload, appended to segment files in `staging/`. The chunk index says which
 * bytes of which segment are live; this class knows nothing of chunk ids beyond error messages. Callers
 * serialise appends, removals and close (ChunkStore's index lock); reads may run alongside them.
 */
export class StagingArea {
  private active: ActiveSegment | undefined;

  private constructor(
    readonly dir: string,
    private readonly space: SpaceReserve | undefined,
  ) {}

  /** With `space`, appends that would eat into the reserve kept for the op log are refused (NO_SPACE). */
  static async open(dir: string, space?: SpaceReserve): Promise<StagingArea> {
    await mkdir(dir, { recursive: true });
    return new StagingArea(dir, space);
  }

  /**
   * Appends the sealed chunks to the active segment and makes them durable with one data sync — the
   * segment's directory entry was made durable when it was created. Returns where each one went.
   *
   * On a full disk this fails with NO_SPACE and leaves the segment as it was: what a failed write put in it is
   * cut off again, so the space goes back and earlier chunks are untouched.
   */
  async append(sealed: readonly Uint8Array[]): Promise<StagedLocation[]> {
    const total = sealed.reduce((n, box) => n + box.length, 0);
    await this.space?.claim(total, 'file content');
    let segment: ActiveSegment;
    try {
      segment = await this.activeSegment();
    } catch (err) {
      throw asNoSpace(err, `file content in ${this.dir}`);
    }
    const start = segment.sizeBytes;
    const out: StagedLocation[] = [];
    try {
      for (const box of sealed) {
        const offset = segment.sizeBytes;
        await writeAll(segment.handle, box, offset);
        segment.sizeBytes += box.length;
        out.push({ segment: segment.name, offset, length: box.length });
      }
      await segment.handle.datasync();
    } catch (err) {
      await this.cutBack(segment, start);
      throw asNoSpace(err, `${total} bytes of file content in ${this.dir}`);
    }
    return out;
  }

  /**
   * Gives back the space of chunks just appended that will never be referenced (their index entries could not
   * be written): when they are still the end of the active segment, it is cut off before them.
   */
  async discard(locations: readonly StagedLocation[]): Promise<void> {
    const segment = this.active;
    const first = locations[0];
    const last = locations[locations.length - 1];
    if (segment === undefined || first === undefined || last === undefined) return;
    if (locations.some((loc) => loc.segment !== segment.name)) return;
    if (last.offset + last.length !== segment.sizeBytes) return;
    await this.cutBack(segment, first.offset);
  }

  private async cutBack(segment: ActiveSegment, sizeBytes: number): Promise<void> {
    try {
      await segment.handle.truncate(sizeBytes);
      segment.sizeBytes = sizeBytes;
    } catch {
      // Could not cut: start the next append in a new segment; the chunk index never points past `sizeBytes`.
      await segment.handle.close().catch(() => undefined);
      if (this.active === segment) this.active = undefined;
    }
  }

  /** The sealed bytes of a staged chunk, or undefined when its segment is gone (uploaded meanwhile). */
  async read(loc: StagedLocation): Promise<Uint8Array | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(join(this.dir, loc.segment), 'r');
    } catch (err) {
      if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return await readFully(fh, loc.offset, loc.length);
    } finally {
      await fh.close();
    }
  }

  /** The sealed bytes of each chunk, opening each segment once; a chunk cut short is HOME_DAMAGED. */
  async readMany(
    group: readonly (readonly [string, StagedLocation])[],
  ): Promise<{ chunkId: string; sealed: Uint8Array }[]> {
    const handles = new Map<string, FileHandle>();
    try {
      const out: { chunkId: string; sealed: Uint8Array }[] = [];
      for (const [chunkId, loc] of group) {
        let fh = handles.get(loc.segment);
        if (fh === undefined) {
          fh = await open(join(this.dir, loc.segment), 'r');
          handles.set(loc.segment, fh);
        }
        const sealed = await readFully(fh, loc.offset, loc.length);
        if (sealed.length !== loc.length) {
          throw new TgfsError(
            'HOME_DAMAGED',
            `staged chunk ${chunkId} is cut short in ${join(this.dir, loc.segment)}`,
          );
        }
        out.push({ chunkId, sealed });
      }
      return out;
    } finally {
      for (const fh of handles.values()) await fh.close();
    }
  }

  /** Deletes every segment not in `referenced` (uploaded, or orphaned by a crash). */
  async removeUnreferenced(referenced: ReadonlySet<string>): Promise<void> {
    // Everything in the active segment went up: start a new one rather than append to a deleted file.
    if (this.active !== undefined && !referenced.has(this.active.name)) {
      await this.active.handle.close();
      this.active = undefined;
    }
    for (const name of await readdir(this.dir)) {
      if (!referenced.has(name)) await unlink(join(this.dir, name)).catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.active?.handle.close();
    this.active = undefined;
  }

  /**
   * One segment per store session, rotated by size: appending costs one data sync per call, where a file per
   * call cost a file sync, a rename and a directory sync.
   */
  private async activeSegment(): Promise<ActiveSegment> {
    const current = this.active;
    if (current !== undefined && current.sizeBytes < SEGMENT_ROTATE_BYTES) return current;
    await current?.handle.close();
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.seg`;
    const handle = await open(join(this.dir, name), 'wx');
    await syncDirectory(this.dir);
    this.active = { name, handle, sizeBytes: 0 };
    return this.active;
  }
}

/** Makes a directory's entries (a new file's name) durable. */
async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

async function readFully(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}
