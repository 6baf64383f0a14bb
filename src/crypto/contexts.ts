/**
 * Every context string of the format, in one place: HKDF info labels, AEAD associated data, signature and hash
 * domain tags. Each purpose has its own, so a key, box or signature made for one use is worthless for another:
 * a sealed record cannot be moved to another namespace, passed off as another event, or replayed as a chunk.
 * They are part of the on-disk and in-store format: changing one makes existing data unreadable, so a change
 * is a new version with the old label kept for old data. docs/format.md lists them. Pure: no I/O.
 */

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

/**
 * The key epoch of everything sealed before key rotation existed, and of a cluster that never rotated: its
 * objects keep their original bytes (no epoch prefix, and the labels and associated data below unchanged).
 * Each rotation (`cluster remove --new-password-file`, `cluster rotate-key`) starts the next epoch.
 */
export const FIRST_KEY_EPOCH = 0;

/** `:{epoch}` appended to an associated data string from epoch 1 on; nothing for epoch 0 (its bytes stay). */
const epochSuffix = (epoch: number): string => (epoch === FIRST_KEY_EPOCH ? '' : `:${epoch}`);

// ---- HKDF-SHA-256 info labels (subkeys of the master key) ------------------------------------------------

export const SUBKEY_LABELS = {
  namespaceData: (ns: string) => `tgcryptfs/v1/ns-data/${ns}`,
  namespaceChunkId: (ns: string) => `tgcryptfs/v1/ns-chunk-id/${ns}`,
  namespaceEvent: (ns: string) => `tgcryptfs/v1/ns-event/${ns}`,
  home: 'tgcryptfs/v1/home',
  keyCheck: 'tgcryptfs/v1/key-check',
  /** Seals the keyring (the master keys of earlier epochs) under a newer epoch's master key. */
  keyring: 'tgcryptfs/v1/keyring',
} as const;

// ---- XChaCha20-Poly1305 associated data ------------------------------------------------------------------

/** A signed event record, at rest in the op log and in an op message. */
export function eventAad(ns: string, eventId: string, epoch = FIRST_KEY_EPOCH): Uint8Array {
  return bytes(`tgfs:v1:${ns}:event:${eventId}${epochSuffix(epoch)}`);
}

export function chunkAad(ns: string, chunkId: string, epoch = FIRST_KEY_EPOCH): Uint8Array {
  return bytes(`tgfs:v1:${ns}:chunk:${chunkId}:${epoch}`);
}

export function packAad(ns: string, packId: string, epoch = FIRST_KEY_EPOCH): Uint8Array {
  return bytes(`tgfs:v1:${ns}:pack:${packId}:${epoch}`);
}

/** A namespace's projection checkpoint in the home (or carried by a snapshot). */
export function checkpointAad(ns: string, epoch = FIRST_KEY_EPOCH): Uint8Array {
  return bytes(`tgfs:v1:${ns}:checkpoint${epochSuffix(epoch)}`);
}

/** A `meta` snapshot message; `clusterNs` is the cluster namespace's id. */
export function snapshotAad(clusterNs: string, captionId: string, epoch = FIRST_KEY_EPOCH): Uint8Array {
  return bytes(`tgfs:v1:${clusterNs}:meta:${captionId}${epochSuffix(epoch)}`);
}

/** A manifest directory update. */
export function manifestAad(clusterNs: string, captionId: string, epoch = FIRST_KEY_EPOCH): Uint8Array {
  return bytes(`tgfs:v1:${clusterNs}:manifest:${captionId}${epochSuffix(epoch)}`);
}

/** The keyring of key epoch `epoch` (the master keys of the epochs before it), sealed under that epoch's key. */
export function keyringAad(epoch: number): Uint8Array {
  return bytes(`tgfs:v1:keyring:${epoch}`);
}

/** Prefixed to a rotation's key epoch manifest before its admin signs it. */
export const KEY_EPOCH_TAG = bytes('tgcryptfs/key-epoch/v1\0');

/** Starts every box sealed under a key epoch after the first: the epoch (u32 big-endian) follows it. */
export const EPOCH_BOX_MAGIC = bytes('TGFSEPK1');

/** This machine's Ed25519 private key, sealed in its home. */
export const MACHINE_KEY_AAD = bytes('tgfs:v1:machine-private-key');

// ---- domain tags -----------------------------------------------------------------------------------------

/** Prefixed to an event's payload before signing: an event signature is never valid for anything else. */
export const EVENT_SIGNATURE_TAG = bytes('tgcryptfs/event/v1\0');

/** Hashed with a public key into the machine id (see ids.ts). */
export const MACHINE_ID_TAG = bytes('tgcryptfs/machine-id/v1\0');

/** Hashed with the creator's machine id and a nonce into a namespace id (see ids.ts). */
export const NAMESPACE_ID_TAG = bytes('tgcryptfs/namespace-id/v1\0');

/** Prefixed to an invitation before its issuer signs it, and to the binding its redeemer signs. */
export const INVITATION_TAG = bytes('tgcryptfs/invitation/v1\0');
export const INVITATION_REDEEM_TAG = bytes('tgcryptfs/invitation-redeem/v1\0');

/** HKDF label of the key that proves knowledge of the password when a rebuilt machine admits itself. */
export const SELF_ADMISSION_LABEL = 'tgcryptfs/v1/self-admission';

/** Starts the namespace state hash the convergence tests compare. */
export const NAMESPACE_STATE_HASH_TAG = 'tgcryptfs/namespace-state/v1\n';

/**
 * Starts the hash an inode's st_ino is taken from (src/fs/inode-numbers.ts): a file shows the same inode number
 * on every mount, remount and rebuild, so changing this renumbers every file for tools that remember them.
 */
export const INODE_NUMBER_TAG = bytes('tgcryptfs/st_ino/v1\0');
