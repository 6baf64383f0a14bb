/**
 * Event envelope and bodies (design.md, "Events"). Bodies reference inodes by id; paths are informational only.
 * Pure: no I/O. Byte strings are Uint8Array; ids are lower-case hex strings.
 */

/**
 * The newest event schema this build writes and reads. 2 added hard links (`Link`, the `entry` of `Move` and
 * `Delete`), special files (the kinds fifo, chardev, blockdev and socket, `rdev`), and the trust events
 * (ClusterCreated, MachineAdmitted, MachineRemoved, MachineReplaced, MasterChanged; `role`, `invitation` and
 * `selfAdmission` of MachineJoined, `nonce` of NamespaceCreated), and holes in a `Write` (an extent placed at
 * `offsetBytes`, or extents ending before the file's size). An event is stamped with the
 * lowest version that can express it (`schemaVersionOf`), so a build that knows only 1 keeps reading every
 * event that does not use the new vocabulary and halts ("upgrade") at one that does.
 */
export const SCHEMA_VERSION = 2 as const;
export type SchemaVersion = 1 | 2;

/** A lower-case UUID: version 8, derived from the machine's public key (src/crypto/ids.ts); v4 for legacy. */
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
  /** Device number of a chardev or blockdev (Linux's encoding, as st_rdev shows it); schema 2. */
  readonly rdev?: number;
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
  /** The hash of the author's id and `nonce` (src/crypto/ids.ts); random in legacy events without a nonce. */
  readonly namespace: NamespaceId;
  readonly name: string;
  readonly mode: NamespaceMode;
  readonly conflict: ConflictStrategy;
  /** The writer of a master-replica namespace; the creator otherwise. */
  readonly master: MachineId;
  readonly createdAtMs: number;
  /** 16 random bytes proving the author created `namespace`. */
  readonly nonce?: Uint8Array;
}

/** The seed's cluster roles: what a machine is for. Admin rights are separate (`admin` of an invitation). */
export type MachineRole = 'master' | 'replica' | 'node';

/**
 * An invitation as its redeemer presents it: the issuer's signed offer (role, admin right, expiry, and the
 * public half of a one-time key whose secret half travelled in the token) and the redeemer's signature, made
 * with that one-time key, over its own id and key. Copying it into another join proves nothing.
 */
export interface InvitationProof {
  readonly issuer: MachineId;
  readonly invitePublicKey: Uint8Array;
  readonly role: MachineRole;
  readonly admin: boolean;
  readonly expiresAtMs: number;
  readonly issuerSignature: Uint8Array;
  readonly redeemSignature: Uint8Array;
}

export interface MachineJoinedBody {
  /** Must be the event's author: a machine introduces only itself. */
  readonly machine: MachineId;
  readonly name: string;
  /** Raw 32-byte Ed25519 public key; the machine id is derived from it. */
  readonly publicKey: Uint8Array;
  readonly createdAtMs: number;
  readonly role?: MachineRole;
  /** Admission by an admin's invitation; without it (or `selfAdmission`) the join waits for `cluster admit`. */
  readonly invitation?: InvitationProof;
  /** A rebuilt machine admitting itself: an HMAC of its id and key under a subkey of the current password. */
  readonly selfAdmission?: Uint8Array;
}

/** The genesis of a cluster: its author is the first admin, and every home pins it. */
export interface ClusterCreatedBody {
  readonly cluster: string;
  readonly createdAtMs: number;
  /** Machines that joined a cluster made before admission existed, admitted as they were. */
  readonly adopted?: readonly MachineId[];
}

/** An admin accepts a pending join: the machine with exactly this key. */
export interface MachineAdmittedBody {
  readonly machine: MachineId;
  readonly publicKey: Uint8Array;
}

/**
 * An admin removes a machine. `cutoff` is, per namespace, the last seq of the machine's chain the admin had
 * seen: those events keep counting, every later one is refused everywhere (an HLC could be backdated, a seq
 * cannot).
 */
export interface MachineRemovedBody {
  readonly machine: MachineId;
  readonly cutoff: Readonly<Record<NamespaceId, number>>;
}

/**
 * A rebuilt machine, admitted by its proof of the password, takes over a lost machine: the lost one is removed
 * (with a cutoff as for MachineRemoved) and its admin right, standalone namespaces and master roles pass to the
 * author. The password is the recovery path, so this is open to any holder of it, and audited as such.
 */
export interface MachineReplacedBody {
  readonly machine: MachineId;
  readonly cutoff: Readonly<Record<NamespaceId, number>>;
}

/**
 * An admin moves a master-replica namespace's master role (`cluster promote`). Seqs, not times, bound the two
 * terms: the outgoing master's events up to `outgoingUpTo` keep counting, the incoming one's count after
 * `incomingAfter` (both as the admin had seen them), so history stays and a deposed master cannot backdate.
 */
export interface MasterChangedBody {
  readonly namespace: NamespaceId;
  readonly master: MachineId;
  readonly outgoingUpTo: number;
  readonly incomingAfter: number;
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
  ClusterCreated: ClusterCreatedBody;
  MachineAdmitted: MachineAdmittedBody;
  MachineRemoved: MachineRemovedBody;
  MachineReplaced: MachineReplacedBody;
  MasterChanged: MasterChangedBody;
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
  'ClusterCreated',
  'MachineAdmitted',
  'MachineRemoved',
  'MachineReplaced',
  'MasterChanged',
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
const SCHEMA_2_TYPES: readonly EventType[] = [
  'Link',
  'ClusterCreated',
  'MachineAdmitted',
  'MachineRemoved',
  'MachineReplaced',
  'MasterChanged',
];

export function schemaVersionOf<K extends EventType>(type: K, body: EventBodies[K]): SchemaVersion {
  if (SCHEMA_2_TYPES.includes(type)) return 2;
  if (type === 'MachineJoined') {
    const j = body as MachineJoinedBody;
    if (j.role !== undefined || j.invitation !== undefined || j.selfAdmission !== undefined) return 2;
  }
  if (type === 'NamespaceCreated' && (body as NamespaceCreatedBody).nonce !== undefined) return 2;
  if ((type === 'Move' || type === 'Delete') && (body as MoveBody | DeleteBody).entry !== undefined) return 2;
  if (type === 'Create') {
    const create = body as CreateBody;
    if (create.rdev !== undefined || (SPECIAL_KINDS as readonly string[]).includes(create.kind)) return 2;
  }
  if (type === 'Write') {
    // Holes: an extent placed at an offset, or extents that end before the size.
    const write = body as WriteBody;
    if (write.extents === undefined) return 1;
    let end = 0;
    for (const e of write.extents) {
      if (e.offsetBytes !== undefined) return 2;
      end += e.lengthBytes;
    }
    return end < write.sizeBytes ? 2 : 1;
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
