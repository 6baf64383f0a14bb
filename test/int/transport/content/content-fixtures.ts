import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { ChunkStore, type ChunkStoreOptions } from '../../../../src/transport/content/chunk-store.js';
import type { FastCdcParams } from '../../../../src/transport/content/fastcdc.js';
import { MemoryMessageStore } from '../../../../src/transport/store/memory-store.js';
import type {
  ByteRange,
  MessageId,
  MessageStore,
  StoredMessage,
} from '../../../../src/transport/store/message-store.js';

/** Small chunk sizes so tests exercise many chunks and packs on little data. */
export const SMALL_CDC: FastCdcParams = { minBytes: 1024, avgBytes: 4096, maxBytes: 16 * 1024 };

export interface Keys {
  readonly ns: string;
  readonly dataKey: Uint8Array;
  readonly chunkIdKey: Uint8Array;
}

export function newKeys(): Keys {
  return { ns: randomBytes(16).toString('hex'), dataKey: randomBytes(32), chunkIdKey: randomBytes(32) };
}

/** A home: a temp directory with a LevelDB under db/ and the namespace's cache dir under cache/. */
export class TestHome {
  readonly db: ClassicLevel<string, string>;
  private constructor(readonly root: string) {
    this.db = new ClassicLevel<string, string>(join(root, 'db'));
  }

  static async create(): Promise<TestHome> {
    const home = new TestHome(await mkdtemp(join(tmpdir(), 'tgfs-content-')));
    await home.db.open();
    return home;
  }

  /** The namespace's own cache directory, as the home lays it out: one per namespace. */
  cacheDir(ns: string): string {
    return join(this.root, 'cache', ns);
  }

  openChunkStore(
    keys: Keys,
    store: MessageStore,
    extra: Partial<
      Pick<ChunkStoreOptions, 'maxCacheBytes' | 'cdcParams' | 'packTargetBytes' | 'workers'>
    > = {},
  ): Promise<ChunkStore> {
    return ChunkStore.open({
      ...keys,
      dir: this.cacheDir(keys.ns),
      store,
      index: this.db.sublevel<string, string>(`chunks-${keys.ns}`, { valueEncoding: 'utf8' }),
      maxCacheBytes: extra.maxCacheBytes ?? 64 * 1024 * 1024,
      cdcParams: extra.cdcParams ?? SMALL_CDC,
      packTargetBytes: extra.packTargetBytes,
      ...(extra.workers === undefined ? {} : { workers: extra.workers }),
    });
  }

  async dispose(): Promise<void> {
    await this.db.close();
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Every file below `dir`, recursively. */
export async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesBelow(p)));
    else out.push(p);
  }
  return out;
}

export async function bytesBelow(dir: string): Promise<number> {
  let total = 0;
  for (const f of await filesBelow(dir)) total += (await stat(f)).size;
  return total;
}

/** Files below `dir` that contain `needle`. */
export async function filesContaining(dir: string, needle: Uint8Array): Promise<string[]> {
  const hits: string[] = [];
  for (const f of await filesBelow(dir)) {
    if ((await readFile(f)).indexOf(needle) >= 0) hits.push(f);
  }
  return hits;
}

/** Passes everything to `inner`, counting calls. */
export class CountingStore implements MessageStore {
  appends = 0;
  reads = 0;
  lists = 0;
  constructor(readonly inner: MessageStore = new MemoryMessageStore()) {}
  append(caption: string, bytes: Uint8Array): Promise<MessageId> {
    this.appends++;
    return this.inner.append(caption, bytes);
  }
  list(afterId: MessageId, limit?: number): Promise<StoredMessage[]> {
    this.lists++;
    return this.inner.list(afterId, limit);
  }
  read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    this.reads++;
    return this.inner.read(id, range);
  }
  delete(ids: readonly MessageId[]): Promise<void> {
    return this.inner.delete(ids);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Serves a modified copy of chosen messages; the underlying store is left as it is. */
export class TamperingStore extends CountingStore {
  private readonly flips = new Map<MessageId, number[]>();

  flip(id: MessageId, offset: number): void {
    this.flips.set(id, [...(this.flips.get(id) ?? []), offset]);
  }

  override async read(id: MessageId, range?: ByteRange): Promise<Uint8Array> {
    const offsets = this.flips.get(id);
    if (offsets === undefined) return super.read(id, range);
    const whole = Uint8Array.from(await super.read(id));
    for (const at of offsets) whole[at]! ^= 0x01;
    if (range === undefined) return whole;
    return whole.slice(range.offset, range.offset + range.length);
  }
}

/** Content with a unique marker string repeated through it, and random bytes between. */
export function markedContent(marker: string, sizeBytes: number): Uint8Array {
  const out = Buffer.from(randomBytes(sizeBytes));
  const m = Buffer.from(marker);
  for (let at = 0; at + m.length <= sizeBytes; at += 997) m.copy(out, at);
  return out;
}
