import { blake3 } from '@noble/hashes/blake3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EventId } from './types.js';

/**
 * An event's id is BLAKE3-256 of its payload, the signed bytes. The signature is not covered, so one event has
 * one id however its record travels; noble's BLAKE3 is fast enough for payloads of a few hundred bytes.
 */
export function eventIdBytes(payload: Uint8Array): Uint8Array {
  return blake3(payload);
}

export function eventId(payload: Uint8Array): EventId {
  return bytesToHex(blake3(payload));
}
