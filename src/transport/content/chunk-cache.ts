import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNoSpace } from '../../disk/no-space.js';
import type { SpaceReserve } from '../../disk/space-reserve.js';

/**
 * An on-disk LRU cache of sealed chunks read back from the store (design.md, "Content and keys":
 * `cache.max_size_gb`). Entries stay sealed: the home never holds plaintext content. The bound counts this
 * cache's files plus `pinnedBytes`, the staged chunks still waiting for upload, which live elsewhere and are
 * never evicted: when staging alone fills the budget, the cache simply keeps nothing.
 *
 * Writes are not fsynced: every entry can be fetched again, and a damaged one fails authentication and is
 * dropped by the reader. Recency survives a restart only as file mtimes (insertion order), which is enough.
 * For the same reason the cache gives way on a full disk: an entry that would eat into the space reserve, or
 * that the disk has no room for, is simply not kept, and the read that fetched it still succeeds.
 */
export class ChunkCache {
  // Insertion order of a Map is the LRU order: a hit deletes and re-inserts.
  private readonly entries = new Map<string, number>();
  private cachedBytes = 0;
  private pinned = 0;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly space: SpaceReserve | undefined,
  ) {}

  static async open(dir: string, maxBytes: number, space?: SpaceReserve): Promise<ChunkCache> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`cache size must be a non-negative integer, got ${maxBytes}`);
    }
    const cache = new ChunkCache(dir, maxBytes, space);
    await mkdir(dir, { recursive: true });
    await cache.load();
    return cache;
  }

  get sizeBytes(): number {
    return this.cachedBytes;
  }

  get pinnedBytes(): number {
    return this.pinned;
  }

  has(chunkId: string): boolean {
    return this.entries.has(chunkId);
  }

  /** Bytes kept outside the cache that count against its bound (staged chunks); may evict. */
  async setPinnedBytes(bytes: number): Promise<void> {
    this.pinned = bytes;
    await this.evict();
  }

  /**
   * Evicts the oldest entries while writing `bytes` elsewhere on this disk (staging, a pack in a local store)
   * would eat into the space reserve: the cache only borrows free space, and gives it back when it is needed.
   */
  async makeRoom(bytes: number): Promise<void> {
    if (this.space === undefined) return;
    while (this.entries.size > 0 && !(await this.space.allows(bytes))) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      await this.delete(oldest.value);
    }
  }

  async get(chunkId: string): Promise<Uint8Array | undefined> {
    const size = this.entries.get(chunkId);
    if (size === undefined) return undefined;
    this.entries.delete(chunkId);
    this.entries.set(chunkId, size);
    try {
      return await readFile(this.pathOf(chunkId));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      this.forget(chunkId);
      return undefined;
    }
  }

  async put(chunkId: string, sealed: Uint8Array): Promise<void> {
    if (this.entries.has(chunkId)) {
      const size = this.entries.get(chunkId)!;
      this.entries.delete(chunkId);
      this.entries.set(chunkId, size);
      return;
    }
    // Would be evicted at once: do not write it at all.
    if (sealed.length + this.pinned > this.maxBytes) return;
    if (this.space !== undefined && !(await this.space.allows(sealed.length))) return;
    const path = this.pathOf(chunkId);
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(join(this.dir, chunkId.slice(0, 2)), { recursive: true });
      await writeFile(tmp, sealed);
      await rename(tmp, path);
    } catch (err) {
      if (!isNoSpace(err)) throw err;
      await unlink(tmp).catch(() => undefined);
      return;
    }
    // A concurrent put of the same chunk may have won the race; the file is the same sealed chunk either way.
    if (this.entries.has(chunkId)) return;
    this.entries.set(chunkId, sealed.length);
    this.cachedBytes += sealed.length;
    await this.evict();
  }

  async delete(chunkId: string): Promise<void> {
    if (!this.entries.has(chunkId)) return;
    this.forget(chunkId);
    await rm(this.pathOf(chunkId), { force: true });
  }

  private forget(chunkId: string): void {
    const size = this.entries.get(chunkId);
    if (size === undefined) return;
    this.entries.delete(chunkId);
    this.cachedBytes -= size;
  }

  private async evict(): Promise<void> {
    while (this.cachedBytes + this.pinned > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      await this.delete(oldest.value);
    }
  }

  private pathOf(chunkId: string): string {
    return join(this.dir, chunkId.slice(0, 2), chunkId);
  }

  private async load(): Promise<void> {
    const found: { id: string; size: number; mtimeMs: number }[] = [];
    for (const sub of await readdir(this.dir)) {
      const subDir = join(this.dir, sub);
      let names: string[];
      try {
        names = await readdir(subDir);
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(subDir, name);
        if (name.endsWith('.tmp')) {
          await unlink(path).catch(() => {});
          continue;
        }
        const st = await stat(path);
        found.push({ id: name, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of found) {
      this.entries.set(f.id, f.size);
      this.cachedBytes += f.size;
    }
    await this.evict();
  }
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
