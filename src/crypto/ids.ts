import { randomBytes } from 'node:crypto';
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MACHINE_ID_TAG, NAMESPACE_ID_TAG } from './contexts.js';

/**
 * The one place ids are minted. Inodes, packs, snapshots and op messages are 16 random bytes as 32 lower-case
 * hex characters (design.md: bodies reference inodes by id); two machines must not mint one id by accident.
 *
 * Two ids are derived instead, because they name who may speak for them (docs/security.md):
 * - a machine id is a UUID (version 8) made from a hash of the machine's public key, so an id is bound to one
 *   key by construction and no member can introduce its own key under another machine's id;
 * - a namespace id is a hash of its creator's machine id and a random nonce, so no other machine can announce
 *   itself creator (or master) of an existing namespace.
 */
export function newRandomId(): string {
  return randomBytes(16).toString('hex');
}

export const newInodeId = newRandomId;

const textBytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The machine id of a public key: BLAKE3 of the key, as a UUID with version 8 and the RFC 9562 variant. */
export function machineIdOf(publicKey: Uint8Array): string {
  const h = blake3(concat(MACHINE_ID_TAG, publicKey)).slice(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = bytesToHex(h);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Whether `id` may be introduced with `publicKey`: a key-derived id only with its own key. A random version 4 id
 * (machines made before ids were derived) carries no binding; such machines are the legacy case of
 * docs/security.md, bound to the first key the cluster accepted for them.
 */
export function machineIdFits(id: string, publicKey: Uint8Array): boolean | 'legacy' {
  if (id[14] === '4') return 'legacy';
  return machineIdOf(publicKey) === id;
}

/** A fresh namespace id and the nonce that, with its creator's id, proves who created it. */
export function newNamespaceId(creator: string): { id: string; nonce: Uint8Array } {
  const nonce = new Uint8Array(randomBytes(16));
  return { id: namespaceIdOf(creator, nonce), nonce };
}

export function namespaceIdOf(creator: string, nonce: Uint8Array): string {
  return bytesToHex(blake3(concat(NAMESPACE_ID_TAG, textBytes(creator), nonce)).slice(0, 16));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
