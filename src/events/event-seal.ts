import { eventAad } from '../crypto/contexts.js';
import { open, seal } from '../crypto/xchacha.js';
import { TgfsError } from '../errors.js';
import type { EventId, NamespaceId } from './types.js';

/**
 * Events at rest (the home's op log) and in the store are sealed with the namespace's event key, so neither
 * holds a file name or inline content in clear. The AAD binds namespace and event id: a record cannot be moved
 * to another namespace or passed off as another event.
 */

export function sealRecord(
  eventKey: Uint8Array,
  ns: NamespaceId,
  id: EventId,
  record: Uint8Array,
): Uint8Array {
  return seal(eventKey, record, eventAad(ns, id));
}

export function openRecordBox(
  eventKey: Uint8Array,
  ns: NamespaceId,
  id: EventId,
  box: Uint8Array,
): Uint8Array {
  try {
    return open(eventKey, box, eventAad(ns, id));
  } catch (cause) {
    throw new TgfsError('DECRYPT_FAILED', `event ${id} of namespace ${ns} failed authentication`, { cause });
  }
}
