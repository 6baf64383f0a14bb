import { Encoder } from 'cbor-x';
import { TgfsError } from '../errors.js';
import { extentsProblem } from './extents.js';
import {
  EVENT_TYPES,
  type EventBodies,
  type EventType,
  SCHEMA_VERSION,
  schemaVersionOf,
  type TgfsEvent,
  type WriteBody,
} from './types.js';

/**
 * Event payloads and stored records as CBOR (docs: design.md, "Events").
 *
 * Encoding is deterministic: maps are written in a fixed key order (envelope and body fields in the order of the
 * tables below, clock and xattr maps sorted), byte strings as plain CBOR byte strings (no typed-array tag), and
 * optional fields that are absent or undefined are left out. The signature and the event id cover the payload
 * bytes, so verification never depends on this; stability matters for tests and for re-emitting an event.
 *
 * Decoding validates the whole shape: a peer's bytes are untrusted until their signature is checked, and even a
 * correctly signed event from a buggy peer must not crash a projection.
 */

const cbor = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
});

/** cbor-x caches a `dataView` property on the array it decodes; a throwaway view keeps callers' arrays clean. */
function decodeCbor(bytes: Uint8Array): unknown {
  return cbor.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export const SIGNATURE_BYTES = 64;

/**
 * A decoded string that keeps only itself. cbor-x's native extractor decodes a run of strings as one and hands
 * out slices of it, so a kept 32-char id (in a projection, per inode) would keep the whole run alive: hundreds of
 * bytes per event. V8 copies slices shorter than 13 characters anyway.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// In a `u` regex a well-formed surrogate pair is one code point, so this matches only lone surrogates, which
// UTF-8 cannot carry: such a string would come back changed.
const LONE_SURROGATE = /\p{Cs}/u;

function malformed(path: string, expected: string, value: unknown): TgfsError {
  return new TgfsError(
    'EVENT_MALFORMED',
    `event field ${path}: expected ${expected}, got ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'a map';
  return String(value);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Checks one value and returns it normalised (byte strings copied into plain Uint8Arrays). */
type Check = (value: unknown, path: string) => unknown;

const hex32: Check = (v, p) => {
  if (typeof v !== 'string' || !HEX32.test(v)) throw malformed(p, '32 lower-case hex digits', v);
  return ownString(v);
};
const machineId: Check = (v, p) => {
  if (typeof v !== 'string' || !UUID.test(v)) throw malformed(p, 'a lower-case UUID', v);
  return ownString(v);
};
const text: Check = (v, p) => {
  if (typeof v !== 'string' || LONE_SURROGATE.test(v)) throw malformed(p, 'a well-formed string', v);
  return ownString(v);
};
const nonEmptyText: Check = (v, p) => {
  const s = text(v, p);
  if (s === '') throw malformed(p, 'a non-empty string', v);
  return s;
};
const uint: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw malformed(p, 'a non-negative integer', v);
  return v;
};
const positiveInt: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw malformed(p, 'a positive integer', v);
  return v;
};
/** Timestamps from stat() can be fractional or before 1970; -0 is folded to 0 because CBOR writes it as 0. */
const milliseconds: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(p, 'a finite number of milliseconds', v);
  return v === 0 ? 0 : v;
};
const bytes: Check = (v, p) => {
  if (!(v instanceof Uint8Array)) throw malformed(p, 'a byte string', v);
  return new Uint8Array(v);
};
const bytesOf =
  (length: number): Check =>
  (v, p) => {
    if (!(v instanceof Uint8Array) || v.length !== length)
      throw malformed(p, `a byte string of ${length}`, v);
    return new Uint8Array(v);
  };
const oneOf =
  (...allowed: readonly string[]): Check =>
  (v, p) => {
    const at = typeof v === 'string' ? allowed.indexOf(v) : -1;
    if (at < 0) throw malformed(p, `one of ${allowed.join(', ')}`, v);
    return allowed[at];
  };
const arrayOf =
  (item: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) throw malformed(p, 'an array', v);
    return v.map((x, i) => item(x, `${p}[${i}]`));
  };
/** A string-keyed map written with sorted keys, so that insertion order never changes the bytes. */
const sortedMapOf =
  (key: Check, value: Check): Check =>
  (v, p) => {
    if (!isMap(v)) throw malformed(p, 'a map', v);
    const entries = Object.keys(v)
      .sort()
      .map((k) => [key(k, `${p} key`), value(v[k], `${p}.${k}`)] as const);
    return Object.fromEntries(entries);
  };

interface FieldSpec {
  readonly name: string;
  readonly check: Check;
  readonly optional?: true;
}

const req = (name: string, check: Check): FieldSpec => ({ name, check });
const opt = (name: string, check: Check): FieldSpec => ({ name, check, optional: true });

/** Builds a map with exactly `fields`, in their order; unknown keys are refused so nothing signed is dropped. */
function record(value: unknown, fields: readonly FieldSpec[], path: string): Record<string, unknown> {
  if (!isMap(value)) throw malformed(path, 'a map', value);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = value[f.name];
    if (v === undefined) {
      if (f.optional) continue;
      throw malformed(`${path}.${f.name}`, 'a value', v);
    }
    out[f.name] = f.check(v, `${path}.${f.name}`);
  }
  for (const k of Object.keys(value)) {
    if (value[k] !== undefined && !fields.some((f) => f.name === k)) {
      throw new TgfsError('EVENT_MALFORMED', `event field ${path}.${k}: not part of the schema`);
    }
  }
  return out;
}

const role = oneOf('master', 'replica', 'node');
const boolean: Check = (v, p) => {
  if (typeof v !== 'boolean') throw malformed(p, 'true or false', v);
  return v;
};
const invitation: Check = (v, p) =>
  record(
    v,
    [
      req('issuer', machineId),
      req('invitePublicKey', bytesOf(32)),
      req('role', role),
      req('admin', boolean),
      req('expiresAtMs', uint),
      req('issuerSignature', bytesOf(SIGNATURE_BYTES)),
      req('redeemSignature', bytesOf(SIGNATURE_BYTES)),
    ],
    p,
  );

const extent: Check = (v, p) =>
  record(v, [req('chunkId', nonEmptyText), req('lengthBytes', uint), opt('offsetBytes', uint)], p);

const BODY_FIELDS: { readonly [K in EventType]: readonly FieldSpec[] } = {
  Create: [
    req('inode', hex32),
    req('parent', hex32),
    req('name', text),
    req('kind', oneOf('file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket')),
    req('mode', uint),
    req('uid', uint),
    req('gid', uint),
    req('mtimeMs', milliseconds),
    opt('target', text),
    opt('rdev', uint),
    opt('path', text),
  ],
  Write: [
    req('inode', hex32),
    req('sizeBytes', uint),
    opt('inline', bytes),
    opt('extents', arrayOf(extent)),
    req('mtimeMs', milliseconds),
    opt('path', text),
  ],
  Delete: [req('inode', hex32), opt('entry', hex32), opt('path', text)],
  Move: [
    req('inode', hex32),
    opt('entry', hex32),
    req('parent', hex32),
    req('name', text),
    opt('path', text),
  ],
  Link: [
    req('entry', hex32),
    req('inode', hex32),
    req('parent', hex32),
    req('name', text),
    opt('path', text),
  ],
  SetAttr: [
    req('inode', hex32),
    opt('mode', uint),
    opt('uid', uint),
    opt('gid', uint),
    opt('mtimeMs', milliseconds),
    opt('atimeMs', milliseconds),
    opt('xattrSet', sortedMapOf(text, bytes)),
    opt('xattrRemove', arrayOf(text)),
    opt('path', text),
  ],
  NamespaceCreated: [
    req('namespace', hex32),
    req('name', text),
    req('mode', oneOf('standalone', 'master-replica', 'distributed')),
    req('conflict', oneOf('last-write-wins', 'manual', 'merge')),
    req('master', machineId),
    req('createdAtMs', milliseconds),
    opt('nonce', bytesOf(16)),
  ],
  MachineJoined: [
    req('machine', machineId),
    req('name', text),
    req('publicKey', bytesOf(32)),
    req('createdAtMs', milliseconds),
    opt('role', role),
    opt('invitation', invitation),
    opt('selfAdmission', bytesOf(32)),
  ],
  ClusterCreated: [
    req('cluster', nonEmptyText),
    req('createdAtMs', milliseconds),
    opt('adopted', arrayOf(machineId)),
  ],
  MachineAdmitted: [req('machine', machineId), req('publicKey', bytesOf(32))],
  MachineRemoved: [req('machine', machineId), req('cutoff', sortedMapOf(hex32, uint))],
  MachineReplaced: [req('machine', machineId), req('cutoff', sortedMapOf(hex32, uint))],
  MasterChanged: [
    req('namespace', hex32),
    req('master', machineId),
    req('outgoingUpTo', uint),
    req('incomingAfter', uint),
  ],
};

const hlc: Check = (v, p) => record(v, [req('wallMs', uint), req('counter', uint)], p);
const prev: Check = (v, p) => (v === null ? null : bytesOf(32)(v, p));
const eventType: Check = (v, p) => {
  if (typeof v !== 'string') throw malformed(p, 'an event type name', v);
  // A type this build does not know may be a newer schema, not garbage: the caller must halt, not skip it.
  if (!(EVENT_TYPES as readonly string[]).includes(v)) {
    throw new TgfsError('EVENT_SCHEMA_UNKNOWN', `event type ${JSON.stringify(v)} is unknown to this version`);
  }
  return v;
};

const ENVELOPE_FIELDS: readonly FieldSpec[] = [
  req('v', uint),
  req('ns', hex32),
  req('author', machineId),
  req('seq', positiveInt),
  { name: 'prev', check: prev },
  req('clock', sortedMapOf(machineId, uint)),
  req('hlc', hlc),
  req('type', eventType),
  // Checked per type in `normalise`, once the type is known.
  req('body', (v) => v),
];

/** Validates an event (decoded or about to be encoded) and returns it in canonical form. */
function normalise(value: unknown): TgfsEvent {
  if (!isMap(value)) throw malformed('event', 'a map', value);
  const v = value['v'];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > SCHEMA_VERSION) {
    throw new TgfsError(
      'EVENT_SCHEMA_UNKNOWN',
      `event schema version ${v} is unknown to this version (knows 1 to ${SCHEMA_VERSION})`,
    );
  }
  if (v !== 1 && v !== SCHEMA_VERSION)
    throw malformed('v', `a schema version from 1 to ${SCHEMA_VERSION}`, v);
  const envelope = record(value, ENVELOPE_FIELDS, 'event');
  const type = envelope['type'] as EventType;
  const body = record(envelope['body'], BODY_FIELDS[type], 'body');
  if (type === 'Write' && (body['inline'] === undefined) === (body['extents'] === undefined)) {
    throw new TgfsError(
      'EVENT_MALFORMED',
      'event field body: a Write needs exactly one of inline and extents',
    );
  }
  if (type === 'Write') checkExtents(body as unknown as WriteBody, v);
  // A schema 1 event cannot use what schema 2 added: a build that knew only 1 would have read it otherwise.
  if (schemaVersionOf(type, body as unknown as EventBodies[EventType]) > (v as number)) {
    throw new TgfsError('EVENT_MALFORMED', `event field v: a ${type} like this one needs schema 2, not ${v}`);
  }
  envelope['body'] = body as unknown as EventBodies[EventType];
  return envelope as unknown as TgfsEvent;
}

/** Schema 1 has no holes; a schema-2 Write's extents must be in order and end within the file. */
function checkExtents(body: WriteBody, v: number): void {
  if (body.extents === undefined) return;
  if (v === 1) {
    if (body.extents.some((e) => e.offsetBytes !== undefined)) {
      throw new TgfsError('EVENT_MALFORMED', 'event field body.extents: offsetBytes needs schema version 2');
    }
    return;
  }
  const problem = extentsProblem(body.extents, body.sizeBytes);
  if (problem !== undefined) throw new TgfsError('EVENT_MALFORMED', `event field body.extents: ${problem}`);
}

/** The payload: the exact bytes that get signed. Throws EVENT_MALFORMED rather than sign a malformed event. */
export function encodeEvent(e: TgfsEvent): Uint8Array {
  return new Uint8Array(cbor.encode(normalise(e)));
}

/**
 * Decodes and validates a payload. EVENT_MALFORMED names the bad field; EVENT_SCHEMA_UNKNOWN (another `v`, or a
 * type this build does not know) means "upgrade", and the caller must halt rather than skip the event.
 */
export function decodeEvent(payload: Uint8Array): TgfsEvent {
  let raw: unknown;
  try {
    raw = decodeCbor(payload);
  } catch (cause) {
    throw new TgfsError('EVENT_MALFORMED', `event payload of ${payload.length} bytes is not valid CBOR`, {
      cause,
    });
  }
  return normalise(raw);
}

/** A stored event: the CBOR array [payload, signature]. */
export function encodeRecord(payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return new Uint8Array(cbor.encode([payload, signature]));
}

export function decodeRecord(recordBytes: Uint8Array): { payload: Uint8Array; signature: Uint8Array } {
  let raw: unknown;
  try {
    raw = decodeCbor(recordBytes);
  } catch (cause) {
    throw new TgfsError('EVENT_MALFORMED', `event record of ${recordBytes.length} bytes is not valid CBOR`, {
      cause,
    });
  }
  if (!Array.isArray(raw) || raw.length !== 2)
    throw malformed('record', 'an array [payload, signature]', raw);
  return {
    payload: bytes(raw[0], 'record.payload') as Uint8Array,
    signature: bytesOf(SIGNATURE_BYTES)(raw[1], 'record.signature') as Uint8Array,
  };
}
