import { chunkAad, FIRST_KEY_EPOCH } from '../../crypto/contexts.js';
import { KeyEpochUnknownError, type KeyInput, openInEpoch, sealForEpoch } from '../../crypto/epoch-box.js';
import { TgfsError } from '../../errors.js';

/**
 * Sealing of content objects. The associated data binds the format version, namespace, object type, object id
 * and key epoch, so a sealed chunk or pack header cannot be replayed under another id, namespace or type. A
 * chunk's box names its key epoch (epoch-box.ts): it is read alone, from staging, the cache or a pack.
 */

/** `dataKey` is the data key of key epoch `epoch` (the first one when not given). */
export function sealChunk(
  dataKey: Uint8Array,
  ns: string,
  chunkId: string,
  plaintext: Uint8Array,
  epoch = FIRST_KEY_EPOCH,
): Buffer {
  return sealForEpoch(dataKey, epoch, plaintext, (e) => chunkAad(ns, chunkId, e));
}

/**
 * Opens a sealed chunk; any failure (wrong key, flipped byte, a chunk sealed under another id or namespace)
 * is CHUNK_AUTH_FAILED naming the chunk, the namespace and `where` it came from; a chunk of a key epoch this home
 * does not hold is KEY_EPOCH_UNKNOWN.
 */
export function openChunk(
  dataKey: KeyInput,
  ns: string,
  chunkId: string,
  sealed: Uint8Array,
  where: string,
): Buffer {
  try {
    return openInEpoch(dataKey, sealed, (e) => chunkAad(ns, chunkId, e));
  } catch (cause) {
    if (cause instanceof KeyEpochUnknownError) {
      throw new KeyEpochUnknownError(
        cause.epoch,
        `chunk ${chunkId} of namespace ${ns} (${where}) is sealed under key epoch ${cause.epoch}, whose key this home does not hold`,
      );
    }
    throw new TgfsError(
      'CHUNK_AUTH_FAILED',
      `chunk ${chunkId} of namespace ${ns} failed authentication (${where})`,
      {
        cause,
      },
    );
  }
}
