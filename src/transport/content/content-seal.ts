import { chunkAad } from '../../crypto/contexts.js';
import { open, seal } from '../../crypto/xchacha.js';
import { TgfsError } from '../../errors.js';

/**
 * Sealing of content objects. The associated data binds the format version, namespace, object type, object id
 * and key epoch, so a sealed chunk or pack header cannot be replayed under another id, namespace or type.
 */

export function sealChunk(dataKey: Uint8Array, ns: string, chunkId: string, plaintext: Uint8Array): Buffer {
  return seal(dataKey, plaintext, chunkAad(ns, chunkId));
}

/**
 * Opens a sealed chunk; any failure (wrong key, flipped byte, a chunk sealed under another id or namespace)
 * is CHUNK_AUTH_FAILED naming the chunk, the namespace and `where` it came from.
 */
export function openChunk(
  dataKey: Uint8Array,
  ns: string,
  chunkId: string,
  sealed: Uint8Array,
  where: string,
): Buffer {
  try {
    return open(dataKey, sealed, chunkAad(ns, chunkId));
  } catch (cause) {
    throw new TgfsError(
      'CHUNK_AUTH_FAILED',
      `chunk ${chunkId} of namespace ${ns} failed authentication (${where})`,
      {
        cause,
      },
    );
  }
}
