import { decode, encode } from 'cbor-x';
import { TgfsError } from '../../errors.js';
import type { EventId, NamespaceId } from '../../events/types.js';
import type { MessageId } from '../store/message-store.js';

/**
 * The body of an `op` message (see OpPusher): CBOR `{ v: 1, ns, events: [[eventId, sealedRecord], …] }`.
 * Records stay sealed with the namespace event key; the ids are checked against the records when opened.
 */
export interface OpMessage {
  readonly ns: NamespaceId;
  readonly events: ReadonlyArray<readonly [EventId, Uint8Array]>;
}

const EVENT_ID = /^[0-9a-f]{64}$/;

export function encodeOpMessage(m: OpMessage): Uint8Array {
  return encode({ v: 1, ns: m.ns, events: m.events.map(([id, sealed]) => [id, sealed]) });
}

/** Parses and shape-checks an op message; STORE_CORRUPT names the message and what was wrong. */
export function decodeOpMessage(bytes: Uint8Array, messageId: MessageId, captionNs: NamespaceId): OpMessage {
  const bad = (what: string, cause?: unknown) =>
    new TgfsError(
      'STORE_CORRUPT',
      `op message ${messageId}: ${what}`,
      cause === undefined ? undefined : { cause },
    );
  let raw: unknown;
  try {
    raw = decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    throw bad(`${bytes.length} bytes are not valid CBOR (truncated or damaged)`, cause);
  }
  const m = raw as { v?: unknown; ns?: unknown; events?: unknown } | null;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw bad('not a map');
  if (m.v !== 1) throw bad(`unknown version ${String(m.v)}`);
  if (m.ns !== captionNs) throw bad(`names namespace ${String(m.ns)} but its caption says ${captionNs}`);
  if (!Array.isArray(m.events) || m.events.length === 0) throw bad('holds no events');
  const events = m.events.map((e: unknown, i: number) => {
    if (!Array.isArray(e) || e.length !== 2) throw bad(`event ${i} is not a pair [id, record]`);
    const [id, sealed] = e as [unknown, unknown];
    if (typeof id !== 'string' || !EVENT_ID.test(id)) throw bad(`event ${i} has no valid id`);
    if (!(sealed instanceof Uint8Array)) throw bad(`event ${i} has no record bytes`);
    return [id, sealed] as const;
  });
  return { ns: captionNs, events };
}
