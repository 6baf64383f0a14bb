import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SUBKEY_LABELS } from './contexts.js';

/**
 * HKDF-SHA-256 subkeys of the master key. Each purpose has its own info label, so a key leaked from one use
 * (say, a chunk-id key) says nothing about another. The labels are in contexts.ts.
 */

export const SUBKEY_BYTES = 32;

export interface NamespaceKeys {
  /** Seals chunks and packs of the namespace. */
  readonly dataKey: Uint8Array;
  /** Keys the chunk-id hash, so equal chunks dedupe without the store learning content hashes. */
  readonly chunkIdKey: Uint8Array;
  /** Seals op messages (batches of events) of the namespace. */
  readonly eventKey: Uint8Array;
}

export function deriveSubkey(masterKey: Uint8Array, label: string): Uint8Array {
  if (masterKey.length !== 32) throw new TypeError(`a master key is 32 bytes, got ${masterKey.length}`);
  return hkdf(sha256, masterKey, undefined, new TextEncoder().encode(label), SUBKEY_BYTES);
}

/** `ns` is a namespace id (32 hex characters; the cluster namespace's too). */
export function namespaceKeys(masterKey: Uint8Array, ns: string): NamespaceKeys {
  return {
    dataKey: deriveSubkey(masterKey, SUBKEY_LABELS.namespaceData(ns)),
    chunkIdKey: deriveSubkey(masterKey, SUBKEY_LABELS.namespaceChunkId(ns)),
    eventKey: deriveSubkey(masterKey, SUBKEY_LABELS.namespaceEvent(ns)),
  };
}

/** Seals secrets kept in the home, such as the machine's private key. */
export function homeKey(masterKey: Uint8Array): Uint8Array {
  return deriveSubkey(masterKey, SUBKEY_LABELS.home);
}
