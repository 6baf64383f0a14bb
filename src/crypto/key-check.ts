import { timingSafeEqual } from 'node:crypto';
import { SUBKEY_LABELS } from './contexts.js';
import { deriveSubkey } from './subkeys.js';

/**
 * A value stored in the manifest that tells a wrong password from a damaged store: without it, both show up
 * as "decryption failed". It is an HKDF output under its own label, so it reveals nothing about the master
 * key or its other subkeys.
 */

export const KEY_CHECK_BYTES = 32;

export function keyCheckValue(masterKey: Uint8Array): Uint8Array {
  return deriveSubkey(masterKey, SUBKEY_LABELS.keyCheck);
}

export function matchesKeyCheck(masterKey: Uint8Array, kcv: Uint8Array): boolean {
  const expected = keyCheckValue(masterKey);
  return kcv.length === expected.length && timingSafeEqual(expected, kcv);
}
