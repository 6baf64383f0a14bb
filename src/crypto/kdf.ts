import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { TgfsError } from '../errors.js';

/** Argon2id cost, kept in the store's manifest next to the salt (config: kdf_memory_mb, kdf_iterations). */
export interface KdfParams {
  readonly memoryMiB: number;
  readonly iterations: number;
}

export const DEFAULT_KDF: KdfParams = Object.freeze({ memoryMiB: 64, iterations: 3 });
export const MASTER_KEY_BYTES = 32;
export const SALT_BYTES = 16;

// 4 GiB: beyond that a typo in the config, not a choice, is the likelier story.
const MAX_MEMORY_MIB = 4096;
const MAX_ITERATIONS = 1000;

export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(SALT_BYTES));
}

function checkParams(params: KdfParams): void {
  const { memoryMiB, iterations } = params;
  if (!Number.isSafeInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > MAX_MEMORY_MIB) {
    throw new TgfsError('CONFIG_INVALID', `kdf memory must be 1 to ${MAX_MEMORY_MIB} MiB, got ${memoryMiB}`);
  }
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new TgfsError('CONFIG_INVALID', `kdf iterations must be 1 to ${MAX_ITERATIONS}, got ${iterations}`);
  }
}

/**
 * The master key: Argon2id (parallelism 1, so every machine derives the same key whatever its core count) of
 * the password in Unicode NFC, so the same password typed on macOS (which may produce NFD) and Linux matches.
 */
export async function deriveMasterKey(
  password: string,
  salt: Uint8Array,
  params: KdfParams,
): Promise<Uint8Array> {
  checkParams(params);
  if (salt.length < 8) throw new TypeError(`an Argon2 salt needs at least 8 bytes, got ${salt.length}`);
  const key = await argon2.hash(Buffer.from(password.normalize('NFC'), 'utf8'), {
    type: argon2.argon2id,
    raw: true,
    salt: Buffer.from(salt),
    memoryCost: params.memoryMiB * 1024,
    timeCost: params.iterations,
    parallelism: 1,
    hashLength: MASTER_KEY_BYTES,
  });
  return new Uint8Array(key);
}
