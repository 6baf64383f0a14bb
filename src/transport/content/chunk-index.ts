import { TgfsError } from '../../errors.js';
import type { MessageId } from '../store/message-store.js';

/**
 * Where a namespace's chunks are, kept in a LevelDB sublevel the caller owns (the home's db, utf8 values).
 * This file is the only one that knows the layout; everything else sees typed records.
 *
 * Layout (keys and value bytes are those of every home written so far — change neither):
 *   s:{chunkId}  staged, waiting for upload   {"seg":name,"off":n,"len":n}            in staging/{seg}
 *   l:{chunkId}  uploaded                     {"msg":id,"pack":packId,"off":n,"len":n} a ranged read of msg
 *   b:{chunkId}  a stored copy that failed authentication  {"msg":id,"reason":text}
 *   f:{packId}   a pack being posted          {"after":id,"chunks":[chunkId,...]}     see ChunkUploader
 *   m:lastMsg    the highest message id this namespace's content has seen, in decimal
 *
 * JSON key order is part of the bytes: encoders build the objects field by field in the order above.
 */

export type ChunkIndexOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/**
 * The part of a classic-level db, or of a sublevel with utf8 values, this index uses. Structural on purpose:
 * abstract-level's own generic types do not assign cleanly between db and sublevel.
 */
export interface ChunkIndexDb {
  get(key: string): Promise<string | undefined>;
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  /** `sync: true` must make the batch durable before it resolves (classic-level does). */
  batch(ops: ChunkIndexOp[], options: { sync: boolean }): Promise<void>;
  iterator(options: { gte: string; lt: string }): AsyncIterable<[string, string]>;
}

/** A sealed chunk in a staging segment file. */
export interface StagedLocation {
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

/** A sealed chunk inside a pack in the store. */
export interface StoredLocation {
  readonly messageId: MessageId;
  readonly packId: string;
  readonly offset: number;
  readonly length: number;
}

/** Kept so that the same damaged copy is never indexed again (see ChunkReader and PackIndexer). */
export interface DamagedCopy {
  readonly messageId: MessageId;
  readonly reason: string;
}

/** A pack posted but not yet confirmed: where to look for it in the store, and what it holds. */
export interface PackInFlight {
  readonly afterMessageId: MessageId;
  readonly chunkIds: readonly string[];
}

interface Records {
  staged: StagedLocation;
  stored: StoredLocation;
  damaged: DamagedCopy;
  flight: PackInFlight;
}

export type RecordKind = keyof Records;

/** One change of a batch; `id` is a chunk id, or a pack id for `flight`. */
export type ChunkIndexChange =
  | {
      [K in RecordKind]: {
        readonly type: 'put';
        readonly kind: K;
        readonly id: string;
        readonly value: Records[K];
      };
    }[RecordKind]
  | { readonly type: 'del'; readonly kind: RecordKind; readonly id: string }
  | { readonly type: 'put'; readonly kind: 'lastMessage'; readonly value: MessageId };

interface Codec<T> {
  readonly prefix: string;
  encode(value: T): unknown;
  decode(json: Record<string, unknown>, key: string): T;
}

const CODECS: { readonly [K in RecordKind]: Codec<Records[K]> } = {
  staged: {
    prefix: 's:',
    encode: (v) => ({ seg: v.segment, off: v.offset, len: v.length }),
    decode: (j, key) => ({
      segment: str(j, 'seg', key),
      offset: num(j, 'off', key),
      length: num(j, 'len', key),
    }),
  },
  stored: {
    prefix: 'l:',
    encode: (v) => ({ msg: v.messageId, pack: v.packId, off: v.offset, len: v.length }),
    decode: (j, key) => ({
      messageId: num(j, 'msg', key),
      packId: str(j, 'pack', key),
      offset: num(j, 'off', key),
      length: num(j, 'len', key),
    }),
  },
  damaged: {
    prefix: 'b:',
    encode: (v) => ({ msg: v.messageId, reason: v.reason }),
    decode: (j, key) => ({ messageId: num(j, 'msg', key), reason: str(j, 'reason', key) }),
  },
  flight: {
    prefix: 'f:',
    encode: (v) => ({ after: v.afterMessageId, chunks: v.chunkIds }),
    decode: (j, key) => {
      const chunks = j['chunks'];
      if (!Array.isArray(chunks) || !chunks.every((c) => typeof c === 'string')) throw damaged(key, 'chunks');
      return { afterMessageId: num(j, 'after', key), chunkIds: chunks };
    },
  },
};

const LAST_MESSAGE_KEY = 'm:lastMsg';

/** The key range of one prefix: `;` is the character after `:`. */
function range(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix.slice(0, -1)};` };
}

export class ChunkIndex {
  constructor(private readonly db: ChunkIndexDb) {}

  async get<K extends RecordKind>(kind: K, id: string): Promise<Records[K] | undefined> {
    const key = CODECS[kind].prefix + id;
    return decode(kind, key, await this.db.get(key));
  }

  async getMany<K extends RecordKind>(kind: K, ids: readonly string[]): Promise<(Records[K] | undefined)[]> {
    const keys = ids.map((id) => CODECS[kind].prefix + id);
    const values = await this.db.getMany(keys);
    return keys.map((key, i) => decode(kind, key, values[i]));
  }

  /**
   * Staged and stored locations of each chunk in one read: an upload swaps one for the other in one batch,
   * and two separate reads could straddle it and see neither.
   */
  async locate(
    ids: readonly string[],
  ): Promise<{ staged: StagedLocation | undefined; stored: StoredLocation | undefined }[]> {
    const values = await this.db.getMany(ids.flatMap((id) => [`s:${id}`, `l:${id}`]));
    return ids.map((id, i) => ({
      staged: decode('staged', `s:${id}`, values[2 * i]),
      stored: decode('stored', `l:${id}`, values[2 * i + 1]),
    }));
  }

  /** 0 when the namespace's content has seen no message yet. */
  async lastMessageId(): Promise<MessageId> {
    const v = await this.db.get(LAST_MESSAGE_KEY);
    return v === undefined ? 0 : Number(v);
  }

  async *entries<K extends RecordKind>(kind: K): AsyncGenerator<[string, Records[K]]> {
    const { prefix } = CODECS[kind];
    for await (const [key, value] of this.db.iterator(range(prefix))) {
      yield [key.slice(prefix.length), decode(kind, key, value)!];
    }
  }

  async all<K extends RecordKind>(kind: K): Promise<[string, Records[K]][]> {
    const out: [string, Records[K]][] = [];
    for await (const entry of this.entries(kind)) out.push(entry);
    return out;
  }

  batch(changes: readonly ChunkIndexChange[], options: { sync: boolean }): Promise<void> {
    return this.db.batch(changes.map(encodeChange), options);
  }
}

/** Chunks staged and not yet uploaded, read straight from the db (for status views with no ChunkStore open). */
export async function countStagedChunks(db: ChunkIndexDb): Promise<number> {
  let n = 0;
  for await (const _ of db.iterator(range(CODECS.staged.prefix))) n++;
  return n;
}

function encodeChange(change: ChunkIndexChange): ChunkIndexOp {
  if (change.kind === 'lastMessage')
    return { type: 'put', key: LAST_MESSAGE_KEY, value: String(change.value) };
  const key = CODECS[change.kind].prefix + change.id;
  if (change.type === 'del') return { type: 'del', key };
  const codec = CODECS[change.kind] as Codec<Records[RecordKind]>;
  return { type: 'put', key, value: JSON.stringify(codec.encode(change.value)) };
}

function decode<K extends RecordKind>(
  kind: K,
  key: string,
  value: string | undefined,
): Records[K] | undefined {
  if (value === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (err) {
    throw new TgfsError('HOME_DAMAGED', `chunk index entry ${key} is not JSON`, { cause: err });
  }
  if (typeof json !== 'object' || json === null) throw damaged(key, 'value');
  return CODECS[kind].decode(json as Record<string, unknown>, key);
}

function num(j: Record<string, unknown>, field: string, key: string): number {
  const v = j[field];
  if (typeof v !== 'number') throw damaged(key, field);
  return v;
}

function str(j: Record<string, unknown>, field: string, key: string): string {
  const v = j[field];
  if (typeof v !== 'string') throw damaged(key, field);
  return v;
}

function damaged(key: string, field: string): TgfsError {
  return new TgfsError('HOME_DAMAGED', `chunk index entry ${key} has a bad ${field}`);
}
