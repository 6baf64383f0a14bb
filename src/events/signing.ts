import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { decodeEvent, decodeRecord, encodeEvent, encodeRecord, SIGNATURE_BYTES } from './codec.js';
import { eventId } from './event-id.js';
import { signable } from './signable.js';
import type { EventId, SignedEvent, TgfsEvent } from './types.js';

/**
 * Ed25519 through node:crypto (about 15× faster than pure JS). Keys travel as raw bytes: the public key is the
 * 32-byte RFC 8032 encoding, the private key the 32-byte RFC 8032 seed. The DER prefixes below wrap them
 * for node's KeyObject.
 */

export const PUBLIC_KEY_BYTES = 32;
export const PRIVATE_KEY_BYTES = 32;

const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

export interface MachineKeyPair {
  /** Raw 32-byte Ed25519 public key (what MachineJoined carries). */
  readonly publicKey: Uint8Array;
  /** Raw 32-byte Ed25519 seed; kept in the home sealed under the home key. */
  readonly privateKey: Uint8Array;
}

function der(prefix: Uint8Array, raw: Uint8Array): Buffer {
  return Buffer.concat([prefix, raw]);
}

export function generateMachineKeyPair(): MachineKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  return {
    publicKey: new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_BYTES)),
    privateKey: new Uint8Array(pkcs8.subarray(pkcs8.length - PRIVATE_KEY_BYTES)),
  };
}

/** The raw public key belonging to a raw private key (seed). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(privateKey)).export({ type: 'spki', format: 'der' });
  return new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_BYTES));
}

// Keyed by array identity: a machine signs with the same seed array for its whole run.
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  let key = privateKeys.get(privateKey);
  if (key === undefined) {
    if (privateKey.length !== PRIVATE_KEY_BYTES) {
      throw new TypeError(`an Ed25519 private key is ${PRIVATE_KEY_BYTES} bytes, got ${privateKey.length}`);
    }
    key = createPrivateKey({ key: der(PKCS8_PREFIX, privateKey), format: 'der', type: 'pkcs8' });
    privateKeys.set(privateKey, key);
  }
  return key;
}

// Keyed by content: keys arrive from decoded events as fresh arrays. A cluster has a handful of machines; the
// bound only stops a stream of forged self-introductions from growing the cache without limit.
const publicKeys = new Map<string, KeyObject | null>();
const MAX_CACHED_PUBLIC_KEYS = 4096;

/** null when the bytes are not a valid Ed25519 public key. */
function publicKeyObject(publicKeyRaw: Uint8Array): KeyObject | null {
  const hex = Buffer.from(publicKeyRaw.buffer, publicKeyRaw.byteOffset, publicKeyRaw.byteLength).toString(
    'hex',
  );
  let key = publicKeys.get(hex);
  if (key === undefined) {
    try {
      key =
        publicKeyRaw.length === PUBLIC_KEY_BYTES
          ? createPublicKey({ key: der(SPKI_PREFIX, publicKeyRaw), format: 'der', type: 'spki' })
          : null;
    } catch {
      key = null;
    }
    if (publicKeys.size >= MAX_CACHED_PUBLIC_KEYS) publicKeys.clear();
    publicKeys.set(hex, key);
  }
  return key;
}

/** Encodes once, signs signable(payload), and derives the id from the same payload bytes. */
export function signEvent(e: TgfsEvent, privateKey: Uint8Array): SignedEvent {
  const payload = encodeEvent(e);
  const signature = new Uint8Array(sign(null, signable(payload), privateKeyObject(privateKey)));
  // The decoded form, not `e`: callers then see exactly what every other machine will decode.
  return { id: eventId(payload), payload, signature, event: decodeEvent(payload) };
}

/** The stored form of a signed event: the record openRecord reads back. */
export function recordOf(se: SignedEvent): Uint8Array {
  return encodeRecord(se.payload, se.signature);
}

/** Parses a stored record. Checks shape only: the signature is verifyEvent's job. */
export function openRecord(recordBytes: Uint8Array): SignedEvent {
  const { payload, signature } = decodeRecord(recordBytes);
  return { id: eventId(payload), payload, signature, event: decodeEvent(payload) };
}

/**
 * Parses a record whose id is already authenticated — the op log's seal binds it as associated data — so
 * replaying a home skips rehashing every payload (pure-JS BLAKE3 is a fifth of the replay's cost).
 */
export function openRecordWithId(recordBytes: Uint8Array, id: EventId): SignedEvent {
  const { payload, signature } = decodeRecord(recordBytes);
  return { id, payload, signature, event: decodeEvent(payload) };
}

/** Verifies over the stored payload bytes; never re-encodes the decoded event. */
export function verifySignature(se: SignedEvent, publicKeyRaw: Uint8Array): boolean {
  if (se.signature.length !== SIGNATURE_BYTES) return false;
  const key = publicKeyObject(publicKeyRaw);
  return key !== null && verify(null, signable(se.payload), key, se.signature);
}

/** Signs `message` (already domain-tagged by the caller) with a machine's or a one-time Ed25519 key. */
export function signBytes(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(privateKey)));
}

export function verifyBytes(message: Uint8Array, signature: Uint8Array, publicKeyRaw: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  const key = publicKeyObject(publicKeyRaw);
  return key !== null && verify(null, message, key, signature);
}
