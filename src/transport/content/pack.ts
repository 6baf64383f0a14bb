import { randomFillSync, randomInt } from 'node:crypto';
import { FIRST_KEY_EPOCH, packAad } from '../../crypto/contexts.js';
import { currentKeyOf, epochKeysOf, KeyEpochUnknownError, type KeyInput } from '../../crypto/epoch-box.js';
import { open, seal } from '../../crypto/xchacha.js';
import { TgfsError } from '../../errors.js';
import { isChunkId } from './chunk-id.js';

/**
 * A pack: many sealed chunks in one store message, so thousands of small files cost a handful of messages.
 *
 * Layout (docs/format.md):
 *
 *   offset  size  field
 *   0       8     magic "TGFSPACK"
 *   8       1     version (1: key epoch 0; 2: the key epoch follows)
 *   9       3     version 1: reserved, zero; version 2: the key epoch, u24 big-endian
 *   12      4     H = length of the sealed header, u32 big-endian
 *   16      H     sealed header = seal(dataKey of that epoch, header, aad "tgfs:v1:{ns}:pack:{packId}:{epoch}")
 *   16+H    ...   the sealed chunks, back to back, in random order
 *   ...     ...   random padding up to the next size bucket
 *
 *   header = N (u32 BE) ‖ payload end (u32 BE) ‖ N × (chunk id: 32 bytes ‖ offset u32 BE ‖ length u32 BE)
 *
 * The fixed 16-byte prefix lets a reader fetch the header with two ranged reads (or one generous one). The
 * store sees only the bucketed size: the order, count and sizes of the chunks are inside the sealed header,
 * and the padding is random so it cannot be told from ciphertext. Each chunk's box names its own key epoch (a
 * chunk staged before a rotation and packed after it keeps its epoch).
 */

export const PACK_MAGIC = 'TGFSPACK';
/** Packs sealed under the first key epoch keep version 1, byte for byte; later epochs write version 2. */
export const PACK_VERSION = 1;
export const PACK_VERSION_EPOCH = 2;
const MAX_PACK_EPOCH = 0xffffff;
export const PACK_PREFIX_BYTES = 16;
const ENTRY_BYTES = 40;
const HEADER_FIXED_BYTES = 8;
// nonce + tag of an xchacha box
const BOX_OVERHEAD_BYTES = 40;
const MAGIC_BYTES = new TextEncoder().encode(PACK_MAGIC);

/** Smallest pack size; buckets grow by 1.25× (rounded to 4 KiB) from here, so padding wastes at most 25%. */
export const MIN_PACK_BUCKET_BYTES = 64 * 1024;

export interface PackChunk {
  readonly chunkId: string;
  /** The chunk sealed alone, as `sealChunk` made it. */
  readonly sealed: Uint8Array;
}

/** Where one sealed chunk sits inside its pack. */
export interface PackEntry {
  readonly chunkId: string;
  readonly offset: number;
  readonly lengthBytes: number;
}

export interface PackInput {
  readonly ns: string;
  readonly packId: string;
  readonly chunks: readonly PackChunk[];
}

export interface EncodedPack {
  readonly bytes: Uint8Array;
  readonly entries: PackEntry[];
}

export function paddedPackSize(sizeBytes: number): number {
  let bucket = MIN_PACK_BUCKET_BYTES;
  while (bucket < sizeBytes) bucket = Math.ceil((bucket * 1.25) / 4096) * 4096;
  return bucket;
}

export function encodePack(input: PackInput, dataKey: KeyInput): Uint8Array {
  return encodePackWithIndex(input, dataKey).bytes;
}

/** Seals the header under the current epoch of `dataKey`. */
export function encodePackWithIndex(input: PackInput, dataKey: KeyInput): EncodedPack {
  const epoch = epochKeysOf(dataKey).epoch;
  if (epoch > MAX_PACK_EPOCH) throw new RangeError(`key epoch ${epoch} does not fit a pack header`);
  const { ns, packId, chunks } = input;
  const seen = new Set<string>();
  for (const c of chunks) {
    if (!isChunkId(c.chunkId)) throw new TypeError(`not a chunk id: ${c.chunkId}`);
    if (seen.has(c.chunkId)) throw new TypeError(`chunk ${c.chunkId} is twice in one pack`);
    seen.add(c.chunkId);
  }
  const order = shuffled(chunks);
  const headerPlainBytes = HEADER_FIXED_BYTES + ENTRY_BYTES * order.length;
  const dataStart = PACK_PREFIX_BYTES + headerPlainBytes + BOX_OVERHEAD_BYTES;
  const entries: PackEntry[] = [];
  let pos = dataStart;
  for (const c of order) {
    entries.push({ chunkId: c.chunkId, offset: pos, lengthBytes: c.sealed.length });
    pos += c.sealed.length;
  }
  const payloadEnd = pos;
  if (payloadEnd > 0xffffffff) throw new RangeError(`pack of ${payloadEnd} bytes is too large`);

  const header = new Uint8Array(headerPlainBytes);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, entries.length);
  hv.setUint32(4, payloadEnd);
  // Header entries sorted by id, so the sealed header's plaintext says nothing the blob order would not.
  const sorted = [...entries].sort((a, b) => (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0));
  sorted.forEach((e, i) => {
    const at = HEADER_FIXED_BYTES + i * ENTRY_BYTES;
    header.set(Buffer.from(e.chunkId, 'hex'), at);
    hv.setUint32(at + 32, e.offset);
    hv.setUint32(at + 36, e.lengthBytes);
  });
  const sealedHeader = seal(currentKeyOf(dataKey), header, packAad(ns, packId, epoch));

  const total = paddedPackSize(payloadEnd);
  const bytes = Buffer.allocUnsafe(total);
  bytes.set(MAGIC_BYTES, 0);
  bytes[8] = epoch === FIRST_KEY_EPOCH ? PACK_VERSION : PACK_VERSION_EPOCH;
  bytes.fill(0, 9, 12);
  if (epoch !== FIRST_KEY_EPOCH) bytes.writeUIntBE(epoch, 9, 3);
  bytes.writeUInt32BE(sealedHeader.length, 12);
  bytes.set(sealedHeader, PACK_PREFIX_BYTES);
  for (const [i, c] of order.entries()) bytes.set(c.sealed, entries[i]!.offset);
  randomFillSync(bytes, payloadEnd, total - payloadEnd);
  return { bytes, entries: sorted };
}

/**
 * How many leading bytes of a pack `decodePackIndex` needs, from its first PACK_PREFIX_BYTES.
 * A message that is not a pack is STORE_CORRUPT.
 */
export function packIndexBytesNeeded(prefix: Uint8Array, where = 'pack'): number {
  if (prefix.length < PACK_PREFIX_BYTES) {
    throw new TgfsError('STORE_CORRUPT', `${where} is ${prefix.length} bytes, too short for a pack prefix`);
  }
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (prefix[i] !== MAGIC_BYTES[i])
      throw new TgfsError('STORE_CORRUPT', `${where} is not a tgcryptfs pack`);
  }
  if (prefix[8] !== PACK_VERSION && prefix[8] !== PACK_VERSION_EPOCH) {
    throw new TgfsError(
      'STORE_CORRUPT',
      `${where} has pack version ${prefix[8]}, this build reads ${PACK_VERSION} and ${PACK_VERSION_EPOCH}`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  return PACK_PREFIX_BYTES + view.getUint32(12);
}

/**
 * The index of a pack, from at least its first `packIndexBytesNeeded` bytes. Entries are sorted by chunk id;
 * offsets are from the start of the pack. A header failing authentication is CHUNK_AUTH_FAILED.
 */
export function decodePackIndex(
  bytes: Uint8Array,
  dataKey: KeyInput,
  ns: string,
  packId: string,
): PackEntry[] {
  const where = `pack ${packId} of namespace ${ns}`;
  const needed = packIndexBytesNeeded(bytes, where);
  if (bytes.length < needed)
    throw new RangeError(`${where}: need ${needed} bytes to read the index, got ${bytes.length}`);
  const epoch =
    bytes[8] === PACK_VERSION ? FIRST_KEY_EPOCH : Buffer.from(bytes.subarray(9, 12)).readUIntBE(0, 3);
  const key = epochKeysOf(dataKey).key(epoch);
  if (key === undefined) {
    throw new KeyEpochUnknownError(
      epoch,
      `${where} is sealed under key epoch ${epoch}, whose key this home does not hold`,
    );
  }
  let header: Uint8Array;
  try {
    header = open(key, bytes.subarray(PACK_PREFIX_BYTES, needed), packAad(ns, packId, epoch));
  } catch (cause) {
    throw new TgfsError('CHUNK_AUTH_FAILED', `header of ${where} failed authentication`, { cause });
  }
  const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const count = header.length >= HEADER_FIXED_BYTES ? hv.getUint32(0) : -1;
  if (count < 0 || header.length !== HEADER_FIXED_BYTES + count * ENTRY_BYTES) {
    throw new TgfsError('STORE_CORRUPT', `header of ${where} has a malformed index`);
  }
  const payloadEnd = hv.getUint32(4);
  const entries: PackEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_FIXED_BYTES + i * ENTRY_BYTES;
    const entry: PackEntry = {
      chunkId: Buffer.from(header.subarray(at, at + 32)).toString('hex'),
      offset: hv.getUint32(at + 32),
      lengthBytes: hv.getUint32(at + 36),
    };
    if (entry.offset < needed || entry.offset + entry.lengthBytes > payloadEnd) {
      throw new TgfsError(
        'STORE_CORRUPT',
        `header of ${where} places chunk ${entry.chunkId} outside the pack`,
      );
    }
    entries.push(entry);
  }
  return entries;
}

/** The sealed bytes of one chunk of a whole pack (a view, no copy). */
export function chunkFromPack(packBytes: Uint8Array, entry: PackEntry): Uint8Array {
  if (entry.offset + entry.lengthBytes > packBytes.length) {
    throw new TgfsError(
      'STORE_CORRUPT',
      `pack is ${packBytes.length} bytes, chunk ${entry.chunkId} lies beyond it`,
    );
  }
  return packBytes.subarray(entry.offset, entry.offset + entry.lengthBytes);
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}
