import { eventAad } from '../crypto/contexts.js';
import { KeyEpochUnknownError, type KeyInput, openInEpoch, sealInEpoch } from '../crypto/epoch-box.js';
import { TgfsError } from '../errors.js';
import type { EventId, NamespaceId } from './types.js';

/**
 * Events at rest (the home's op log) and in the store are sealed with the namespace's event key, so neither
 * holds a file name or inline content in clear. The AAD binds namespace, event id and key epoch: a record cannot
 * be moved to another namespace or passed off as another event. The box names its key epoch (epoch-box.ts), so
 * the same bytes serve in the log, in op messages and in another machine's log.
 */

export function sealRecord(eventKey: KeyInput, ns: NamespaceId, id: EventId, record: Uint8Array): Uint8Array {
  return sealInEpoch(eventKey, record, (epoch) => eventAad(ns, id, epoch));
}

/** DECRYPT_FAILED when the record does not authenticate; KEY_EPOCH_UNKNOWN when its epoch's key is not held. */
export function openRecordBox(eventKey: KeyInput, ns: NamespaceId, id: EventId, box: Uint8Array): Uint8Array {
  try {
    return openInEpoch(eventKey, box, (epoch) => eventAad(ns, id, epoch));
  } catch (cause) {
    if (cause instanceof KeyEpochUnknownError) {
      throw new KeyEpochUnknownError(
        cause.epoch,
        `event ${id} of namespace ${ns} is sealed under key epoch ${cause.epoch}, whose key this home does not hold`,
      );
    }
    throw new TgfsError('DECRYPT_FAILED', `event ${id} of namespace ${ns} failed authentication`, { cause });
  }
}
