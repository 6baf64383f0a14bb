/**
 * Event envelope and bodies (design.md, "Events"). Bodies reference inodes by id; paths are informational only.
 * Pure: no I/O. Byte strings are Uint8Array; ids are lower-case hex strings.
 */

/**
 * The newest event schema this build writes and reads. 2: a `Write` may leave holes, placing an extent at
 * an offset (`offsetBytes`) or ending its extents before the file's size. A writer gives each event the lowest version that can carry it
 * (`schemaVersionOf`), so builds that know only 1 keep reading everything but sparse files' content, which they
 * refuse as a newer schema instead of misreading it.
 */
export const SCHEMA_VERSION = 2 as const;
export type SchemaVersion = 1 | typeof SCHEMA_VERSION;

/** UUID v4, lower case. */
export type MachineId = string;
/** 16 random bytes as 32 hex chars; the cluster namespace has a fixed id. */
export type NamespaceId = string;
/** 16 random bytes as 32 hex chars; root and trash have fixed ids. */
export type InodeId = string;
/** 32-byte BLAKE3 of the signed bytes, 64 hex chars. */
export type EventId = string;

/** Events about the cluster itself (machines, namespaces, ACLs) live in this namespace. */
export const CLUSTER_NS: NamespaceId = '00000000000000000000000000000000';
export const ROOT_INODE: InodeId = '00000000000000000000000000000001';
export const TRASH_INODE: InodeId = '00000000000000000000000000000002';

/** Hybrid logical clock stamp: wall milliseconds plus a counter for events within one millisecond. */
export interface Hlc {
  readonly wallMs: number;
  readonly counter: number;
}

/** machine id → number of events that machine emitted in this namespace that the clock's owner has seen. */
export type VectorClock = Readonly<Record<MachineId, number>>;

export type InodeKind = 'file' | 'dir' | 'symlink';
export type NamespaceMode = 'standalone' | 'master-replica' | 'distributed';
export type ConflictStrategy = 'last-write-wins' | 'manual' | 'merge';

/**
 * One piece of a file version: a chunk (by keyed id) and its plaintext length, placed at `offsetBytes` in the
 * file, or, without it, right after the previous extent (at 0 for the first). Bytes no extent covers, up to the
 * file's size, are a hole and read as zeros (schema 2; in schema 1 extents are back to back).
 */
export interface Extent {
  readonly chunkId: string;
  readonly lengthBytes: number;
  readonly offsetBytes?: number;
}

export interface CreateBody {
  readonly inode: InodeId;
  readonly parent: InodeId;
  readonly name: string;
  readonly kind: InodeKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
  /** Symlink target; absent for files and directories. */
  readonly target?: string;
  readonly path?: string;
}

export interface WriteBody {
  readonly inode: InodeId;
  readonly sizeBytes: number;
  /**
   * Small files: the whole content inline. Exactly one of `inline` and `extents` is set. Extents are in file
   * order, never overlap and end at or before `sizeBytes`; what they leave uncovered is a hole.
   */
  readonly inline?: Uint8Array;
  readonly extents?: readonly Extent[];
  readonly mtimeMs: number;
  readonly path?: string;
}

export interface DeleteBody {
  readonly inode: InodeId;
  readonly path?: string;
}

export interface MoveBody {
  readonly inode: InodeId;
  readonly parent: InodeId;
  readonly name: string;
  readonly path?: string;
}

export interface SetAttrBody {
  readonly inode: InodeId;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtimeMs?: number;
  readonly atimeMs?: number;
  /** Extended attributes set (name → value) by this event. */
  readonly xattrSet?: Readonly<Record<string, Uint8Array>>;
  readonly xattrRemove?: readonly string[];
  readonly path?: string;
}

export interface NamespaceCreatedBody {
  readonly namespace: NamespaceId;
  readonly name: string;
  readonly mode: NamespaceMode;
  readonly conflict: ConflictStrategy;
  /** The writer of a master-replica namespace; the creator otherwise. */
  readonly master: MachineId;
  readonly createdAtMs: number;
}

export interface MachineJoinedBody {
  readonly machine: MachineId;
  readonly name: string;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly createdAtMs: number;
}

export interface EventBodies {
  Create: CreateBody;
  Write: WriteBody;
  Delete: DeleteBody;
  Move: MoveBody;
  SetAttr: SetAttrBody;
  NamespaceCreated: NamespaceCreatedBody;
  MachineJoined: MachineJoinedBody;
}

export type EventType = keyof EventBodies;
export const EVENT_TYPES: readonly EventType[] = [
  'Create',
  'Write',
  'Delete',
  'Move',
  'SetAttr',
  'NamespaceCreated',
  'MachineJoined',
];

interface EnvelopeFields {
  readonly v: SchemaVersion;
  readonly ns: NamespaceId;
  readonly author: MachineId;
  /** 1, 2, … per author and namespace. */
  readonly seq: number;
  /** Id (raw 32 bytes) of the author's previous event in this namespace; null for seq 1. */
  readonly prev: Uint8Array | null;
  readonly clock: VectorClock;
  readonly hlc: Hlc;
}

/** A decoded event, discriminated on `type`. */
export type TgfsEvent = {
  [K in EventType]: EnvelopeFields & { readonly type: K; readonly body: EventBodies[K] };
}[EventType];

export type EventOf<K extends EventType> = Extract<TgfsEvent, { type: K }>;

/** An event as stored: the exact signed bytes, the signature, its id, and the decoded form. */
export interface SignedEvent {
  readonly id: EventId;
  /** The CBOR-encoded envelope: exactly the bytes that were signed (after the domain tag). */
  readonly payload: Uint8Array;
  /** Ed25519 signature over signable(payload). */
  readonly signature: Uint8Array;
  readonly event: TgfsEvent;
}

/**
 * The lowest schema version that can carry this body: 2 only for a Write with a hole, an extent placed by
 * offset or extents that end before the file does (schema 1's extents cover the file back to back).
 */
export function schemaVersionOf<K extends EventType>(type: K, body: EventBodies[K]): SchemaVersion {
  if (type !== 'Write') return 1;
  const write = body as WriteBody;
  if (write.extents === undefined) return 1;
  let end = 0;
  for (const e of write.extents) {
    if (e.offsetBytes !== undefined) return 2;
    end += e.lengthBytes;
  }
  return end < write.sizeBytes ? 2 : 1;
}
