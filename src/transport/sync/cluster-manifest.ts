import { decode, encode } from 'cbor-x';
import { KEY_EPOCH_TAG } from '../../crypto/contexts.js';
import type { KdfParams } from '../../crypto/kdf.js';
import { TgfsError } from '../../errors.js';
import { CLUSTER_NS } from '../../events/types.js';
import { formatCaption, parseCaption } from '../store/captions.js';
import { listPages } from '../store/list-pages.js';
import type { MessageId, MessageStore } from '../store/message-store.js';

/**
 * The manifest message: what a machine needs before it knows any key — the KDF salt and parameters and the key
 * check value (a wrong password is told apart from a damaged store). Nothing in it is secret.
 */
export interface ClusterManifest {
  readonly v: 1;
  readonly salt: Uint8Array;
  readonly kdf: KdfParams;
  readonly keyCheck: Uint8Array;
}

const MANIFEST_CAPTION = formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: 'cluster' });

export function encodeManifest(m: ClusterManifest): Uint8Array {
  return encode({
    v: m.v,
    salt: m.salt,
    kdf: { memoryMiB: m.kdf.memoryMiB, iterations: m.kdf.iterations },
    keyCheck: m.keyCheck,
  });
}

function decodeManifestCbor(bytes: Uint8Array, id: MessageId): unknown {
  try {
    return decode(bytes);
  } catch (cause) {
    throw new TgfsError('STORE_CORRUPT', `manifest message ${id} is not valid CBOR`, { cause });
  }
}

export function decodeManifest(bytes: Uint8Array, id: MessageId): ClusterManifest {
  const raw = decodeManifestCbor(bytes, id);
  const m = raw as Partial<ClusterManifest> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    m.v !== 1 ||
    !(m.salt instanceof Uint8Array) ||
    !(m.keyCheck instanceof Uint8Array) ||
    typeof m.kdf?.memoryMiB !== 'number' ||
    typeof m.kdf?.iterations !== 'number'
  ) {
    throw new TgfsError('STORE_CORRUPT', `manifest message ${id} is malformed`);
  }
  return { v: 1, salt: m.salt, kdf: m.kdf, keyCheck: m.keyCheck };
}

/**
 * A key epoch after the first, as its rotation posted it (caption id `epoch-{N}`): CBOR `{ v: 2, epoch, salt,
 * kdf, keyCheck, createdAtMs, keyring }`, where `keyring` holds the earlier epochs' master keys sealed under this
 * epoch's (crypto/keyring.ts), and `signer`, `signature`: the admin that rotated, its Ed25519 signature over
 * `"tgcryptfs/key-epoch/v1" 0x00 ‖` the CBOR of the other fields. Nothing in it is readable without this epoch's
 * password. The first epoch is the first manifest (v 1), which has no keyring.
 */
export interface KeyEpochManifest {
  readonly epoch: number;
  readonly salt: Uint8Array;
  readonly kdf: KdfParams;
  readonly keyCheck: Uint8Array;
  /** When the rotation was posted (as its author's clock said); undefined for the first epoch. */
  readonly createdAtMs?: number;
  /** The sealed keyring; undefined for the first epoch. */
  readonly keyring?: Uint8Array;
  /** The rotating admin and its signature (see `signedPart`); undefined for the first epoch. */
  readonly signer?: string;
  readonly signature?: Uint8Array;
  /** The store message it came from (not encoded). */
  readonly messageId?: MessageId;
}

/** What a rotation's signer signs: everything but the signature. */
export function signedPart(m: KeyEpochManifest): Uint8Array {
  const body = encode({
    epoch: m.epoch,
    salt: m.salt,
    kdf: { memoryMiB: m.kdf.memoryMiB, iterations: m.kdf.iterations },
    keyCheck: m.keyCheck,
    createdAtMs: m.createdAtMs,
    keyring: m.keyring,
    signer: m.signer,
  });
  const out = new Uint8Array(KEY_EPOCH_TAG.length + body.length);
  out.set(KEY_EPOCH_TAG, 0);
  out.set(body, KEY_EPOCH_TAG.length);
  return out;
}

const EPOCH_PREFIX = 'epoch-';

export function encodeKeyEpoch(m: KeyEpochManifest): Uint8Array {
  if (
    m.keyring === undefined ||
    m.createdAtMs === undefined ||
    m.signer === undefined ||
    m.signature === undefined ||
    m.epoch < 1
  )
    throw new TypeError('a rotated key epoch has a number from 1, a date, a keyring and a signature');
  return encode({
    v: 2,
    epoch: m.epoch,
    salt: m.salt,
    kdf: { memoryMiB: m.kdf.memoryMiB, iterations: m.kdf.iterations },
    keyCheck: m.keyCheck,
    createdAtMs: m.createdAtMs,
    keyring: m.keyring,
    signer: m.signer,
    signature: m.signature,
  });
}

export function decodeKeyEpoch(bytes: Uint8Array, id: MessageId): KeyEpochManifest {
  const raw = decodeManifestCbor(bytes, id);
  const m = raw as Partial<KeyEpochManifest> & { v?: unknown };
  if (m !== null && typeof m === 'object' && m.v === 1) {
    const first = decodeManifest(bytes, id);
    return { epoch: 0, salt: first.salt, kdf: first.kdf, keyCheck: first.keyCheck, messageId: id };
  }
  if (
    m === null ||
    typeof m !== 'object' ||
    m.v !== 2 ||
    !Number.isSafeInteger(m.epoch) ||
    (m.epoch ?? 0) < 1 ||
    !(m.salt instanceof Uint8Array) ||
    !(m.keyCheck instanceof Uint8Array) ||
    !(m.keyring instanceof Uint8Array) ||
    !(m.signature instanceof Uint8Array) ||
    typeof m.signer !== 'string' ||
    typeof m.createdAtMs !== 'number' ||
    typeof m.kdf?.memoryMiB !== 'number' ||
    typeof m.kdf?.iterations !== 'number'
  ) {
    throw new TgfsError('STORE_CORRUPT', `manifest message ${id} is not a valid key epoch`);
  }
  return {
    epoch: m.epoch!,
    salt: m.salt,
    kdf: { memoryMiB: m.kdf.memoryMiB, iterations: m.kdf.iterations },
    keyCheck: m.keyCheck,
    createdAtMs: m.createdAtMs,
    keyring: m.keyring,
    signer: m.signer,
    signature: m.signature,
    messageId: id,
  };
}

/**
 * Every key epoch in the store, oldest first (one epoch posted twice, in store order): the first manifest's, then
 * each rotation's; a damaged one is passed over. Anyone who can post to the store can post an epoch, but not a
 * usable one: a machine moves to an epoch only when the password it is given matches that epoch's key check and
 * opens its keyring, which must hold the master key it already has; a rotation counts another admin's epoch only
 * when that admin signed it.
 */
export async function findKeyEpochs(store: MessageStore): Promise<KeyEpochManifest[]> {
  const out: KeyEpochManifest[] = [];
  for await (const page of listPages(store)) {
    for (const msg of page) {
      const c = parseCaption(msg.caption);
      if (c?.type !== 'manifest' || c.namespace !== CLUSTER_NS) continue;
      if (out.length === 0) {
        // The first manifest message is the first epoch's, whatever it is called.
        out.push(decodeKeyEpoch(await store.read(msg.id), msg.id));
        continue;
      }
      if (!c.id.startsWith(EPOCH_PREFIX)) continue;
      const n = Number(c.id.slice(EPOCH_PREFIX.length));
      if (!Number.isSafeInteger(n) || n < 1) continue;
      try {
        const m = decodeKeyEpoch(await store.read(msg.id), msg.id);
        if (m.epoch === n) out.push(m);
      } catch (err) {
        if ((err as { code?: string }).code !== 'STORE_CORRUPT') throw err;
      }
    }
  }
  // Stable: one epoch's candidates stay in store order.
  return out.sort((a, b) => a.epoch - b.epoch);
}

export async function writeKeyEpoch(store: MessageStore, m: KeyEpochManifest): Promise<MessageId> {
  return store.append(
    formatCaption({ namespace: CLUSTER_NS, type: 'manifest', id: `${EPOCH_PREFIX}${m.epoch}` }),
    encodeKeyEpoch(m),
  );
}

/**
 * The first manifest in the store (the one every later machine of the cluster derives its keys with). Later
 * manifest messages carry the directory (manifest-directory.ts) and repeat this one's key material.
 */
export async function findManifest(store: MessageStore): Promise<ClusterManifest | undefined> {
  for await (const page of listPages(store)) {
    for (const msg of page) {
      const c = parseCaption(msg.caption);
      if (c?.type === 'manifest' && c.namespace === CLUSTER_NS)
        return decodeManifest(await store.read(msg.id), msg.id);
    }
  }
  return undefined;
}

export async function writeManifest(store: MessageStore, m: ClusterManifest): Promise<MessageId> {
  return store.append(MANIFEST_CAPTION, encodeManifest(m));
}
