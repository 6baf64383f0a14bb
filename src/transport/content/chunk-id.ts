import { createHmac } from 'node:crypto';

/**
 * A chunk's id: HMAC-SHA-256 of its plaintext under the namespace's chunk-id key, 64 lowercase hex characters.
 * Equal content gets equal ids within a namespace (dedupe), while the store, which lacks the key, cannot
 * confirm a guess about a chunk's content the way a plain content hash would let it.
 */

export const CHUNK_ID_HEX_CHARS = 64;
const CHUNK_ID_RE = /^[0-9a-f]{64}$/;

export function chunkId(chunkIdKey: Uint8Array, plaintext: Uint8Array): string {
  if (chunkIdKey.length < 32) throw new TypeError('chunk-id key must be at least 32 bytes');
  return createHmac('sha256', chunkIdKey).update(plaintext).digest('hex');
}

export function isChunkId(value: unknown): value is string {
  return typeof value === 'string' && CHUNK_ID_RE.test(value);
}
