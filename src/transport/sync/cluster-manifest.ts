import { decode, encode } from 'cbor-x';
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

export function decodeManifest(bytes: Uint8Array, id: MessageId): ClusterManifest {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (cause) {
    throw new TgfsError('STORE_CORRUPT', `manifest message ${id} is not valid CBOR`, { cause });
  }
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
