/**
 * Event envelope and bodies (design.md, "Events"). Bodies reference inodes by id; paths are informational only.
 * Pure: no I/O. Byte strings are Uint8Array; ids are lower-case hex strings.
 */

/**
 * The newest event schema this build writes and reads. 2 added hard links (`Link`, the `entry` of `Move` and
 * `Delete`) and special files (the kinds fifo, chardev, blockdev and socket, `rdev`). An event is stamped with the
 * lowest version that can express it (`schemaVersionOf`), so a build that knows only 1 keeps reading every
 * event that does not use the new vocabulary and halts ("upgrade") at one that does.
 */
export const SCHEMA_VERSION = 2 as const;
export type SchemaVersion = 1 | 2;

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

export type InodeKind = 'file' | 'dir' | 'symlink' | SpecialKind;
/** FIFOs, character and block devices, Unix sockets: metadata only (mode, rdev), never content. */
export type SpecialKind = 'fifo' | 'chardev' | 'blockdev' | 'socket';
export const SPECIAL_KINDS: readonly SpecialKind[] = ['fifo', 'chardev', 'blockdev', 'socket'];
export type NamespaceMode = 'standalone' | 'master-replica' | 'distributed';
export type ConflictStrategy = 'last-write-wins' | 'manual' | 'merge';

/** One piece of a file version: a chunk (by keyed id) and its plaintext length. */
export interface Extent {
  readonly chunkId: string;
  readonly lengthBytes: number;
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
  /** Device number of a chardev or blockdev (Linux's encoding, as st_rdev shows it); schema 2. */
  readonly rdev?: number;
  readonly path?: string;
}

export interface WriteBody {
  readonly inode: InodeId;
  readonly sizeBytes: number;
  /** Small files: the whole content inline. Exactly one of `inline` and `extents` is set. */
  readonly inline?: Uint8Array;
  readonly extents?: readonly Extent[];
  readonly mtimeMs: number;
  readonly path?: string;
}

/**
 * Removes one name of `inode`: its own (the name its Create made) or, with `entry` (schema 2), the hard link
 * that entry is. The inode lives on while it has another name.
 */
export interface DeleteBody {
  readonly inode: InodeId;
  readonly entry?: InodeId;
  readonly path?: string;
}

/** Moves one name of `inode` (its own, or with `entry` the hard link that entry is; schema 2). */
export interface MoveBody {
  readonly inode: InodeId;
  readonly entry?: InodeId;
  readonly parent: InodeId;
  readonly name: string;
  readonly path?: string;
}

/**
 * A hard link (schema 2): a new name `name` in `parent` for an existing non-directory `inode`. The name is a
 * node of its own in the tree, `entry` (a fresh id), so it moves and goes away like any other node while the
 * inode's content and attributes stay shared by all its names.
 */
export interface LinkBody {
  readonly entry: InodeId;
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
  Link: LinkBody;
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
  'Link',
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

/** The lowest schema version that can express an event of this type and body. */
export function schemaVersionOf<K extends EventType>(type: K, body: EventBodies[K]): SchemaVersion {
  if (type === 'Link') return 2;
  if ((type === 'Move' || type === 'Delete') && (body as MoveBody | DeleteBody).entry !== undefined) return 2;
  if (type === 'Create') {
    const create = body as CreateBody;
    if (create.rdev !== undefined || (SPECIAL_KINDS as readonly string[]).includes(create.kind)) return 2;
  }
  return 1;
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
