import { EVENT_SIGNATURE_TAG } from '../crypto/contexts.js';

/**
 * Exactly the bytes an author signs: a domain tag, then the payload, nothing else. The tag keeps an event
 * signature from ever being valid for another message type signed with the same machine key.
 */

const DOMAIN_TAG = EVENT_SIGNATURE_TAG;

export function signable(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN_TAG.length + payload.length);
  out.set(DOMAIN_TAG, 0);
  out.set(payload, DOMAIN_TAG.length);
  return out;
}
