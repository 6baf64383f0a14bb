import { TgfsError } from '../errors.js';
import { EPOCH_BOX_MAGIC, FIRST_KEY_EPOCH } from './contexts.js';
import { open, seal } from './xchacha.js';

/**
 * Boxes that say which key epoch sealed them. A box of the first epoch is the plain box of xchacha.ts
 * (`nonce ‖ ciphertext ‖ tag`), byte for byte what every build before key rotation wrote; a box of a later epoch
 * is `"TGFSEPK1" ‖ epoch (u32 BE) ‖ nonce ‖ ciphertext ‖ tag`, so the reader picks the key from the bytes
 * instead of trying each. The associated data names the epoch too (contexts.ts), so a box cannot be relabelled.
 *
 * A first-epoch box whose random nonce happens to start with the magic (a chance of 2^-64) still opens: when the
 * prefixed reading fails, the whole box is tried as a first-epoch one.
 */

/** The keys of one purpose (a namespace's event key, say) across the key epochs a home holds. */
export interface EpochKeys {
  /** The epoch new boxes are sealed under. */
  readonly epoch: number;
  /** The key of `epoch`, or undefined when this home does not hold it. */
  key(epoch: number): Uint8Array | undefined;
}

/** A bare key is the first epoch's, alone (a cluster that never rotated, and tests). */
export type KeyInput = Uint8Array | EpochKeys;

export function epochKeysOf(keys: KeyInput): EpochKeys {
  if (!(keys instanceof Uint8Array)) return keys;
  return { epoch: FIRST_KEY_EPOCH, key: (e) => (e === FIRST_KEY_EPOCH ? keys : undefined) };
}

/** The key new boxes are sealed with. */
export function currentKeyOf(keys: KeyInput): Uint8Array {
  const k = epochKeysOf(keys);
  const key = k.key(k.epoch);
  if (key === undefined) throw new TypeError(`no key for the current epoch ${k.epoch}`);
  return key;
}

const PREFIX_BYTES = EPOCH_BOX_MAGIC.length + 4;

/** Seals under `key`, the key of `epoch` (for callers that carry one key across a thread, say). */
export function sealForEpoch(
  key: Uint8Array,
  epoch: number,
  plaintext: Uint8Array,
  aad: (epoch: number) => Uint8Array,
): Buffer {
  const box = seal(key, plaintext, aad(epoch));
  if (epoch === FIRST_KEY_EPOCH) return box;
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 0xffffffff)
    throw new TypeError(`bad key epoch ${epoch}`);
  const out = Buffer.allocUnsafe(PREFIX_BYTES + box.length);
  out.set(EPOCH_BOX_MAGIC, 0);
  out.writeUInt32BE(epoch, EPOCH_BOX_MAGIC.length);
  out.set(box, PREFIX_BYTES);
  return out;
}

/** Seals under the current epoch of `keys`. */
export function sealInEpoch(
  keys: KeyInput,
  plaintext: Uint8Array,
  aad: (epoch: number) => Uint8Array,
): Buffer {
  const k = epochKeysOf(keys);
  return sealForEpoch(currentKeyOf(k), k.epoch, plaintext, aad);
}

/** The epoch a box names (the first epoch for a box without the prefix). */
export function epochOfBox(box: Uint8Array): number {
  if (box.length < PREFIX_BYTES) return FIRST_KEY_EPOCH;
  for (let i = 0; i < EPOCH_BOX_MAGIC.length; i++) if (box[i] !== EPOCH_BOX_MAGIC[i]) return FIRST_KEY_EPOCH;
  return new DataView(box.buffer, box.byteOffset, box.byteLength).getUint32(EPOCH_BOX_MAGIC.length);
}

/**
 * Opens a box with the key of the epoch it names: DECRYPT_FAILED when it does not authenticate,
 * KEY_EPOCH_UNKNOWN (with `epoch`) when this home does not hold that epoch's key.
 */
export function openInEpoch(keys: KeyInput, box: Uint8Array, aad: (epoch: number) => Uint8Array): Buffer {
  const k = epochKeysOf(keys);
  const epoch = epochOfBox(box);
  const first = k.key(FIRST_KEY_EPOCH);
  if (epoch === FIRST_KEY_EPOCH) {
    if (first === undefined) throw new KeyEpochUnknownError(epoch);
    return open(first, box, aad(FIRST_KEY_EPOCH));
  }
  const key = k.key(epoch);
  let failure: unknown;
  if (key !== undefined) {
    try {
      return open(key, box.subarray(PREFIX_BYTES), aad(epoch));
    } catch (err) {
      failure = err;
    }
  }
  // A first-epoch box that merely starts like a prefixed one (see above).
  if (first !== undefined && first !== key) {
    try {
      return open(first, box, aad(FIRST_KEY_EPOCH));
    } catch (err) {
      failure ??= err;
    }
  }
  if (key !== undefined) throw failure;
  throw new KeyEpochUnknownError(epoch);
}

/** KEY_EPOCH_UNKNOWN, naming the epoch. */
export class KeyEpochUnknownError extends TgfsError {
  constructor(
    readonly epoch: number,
    message = `sealed under key epoch ${epoch}, whose key this home does not hold`,
  ) {
    super('KEY_EPOCH_UNKNOWN', message);
  }
}
