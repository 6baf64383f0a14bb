/**
 * State of one namespace's projection: the move-CRDT tree (Kleppmann et al. 2021) with its op log, an index of
 * shown names per directory, and last-writer-wins attribute registers per inode. Pure: no I/O.
 *
 * The maps are mutable because `evolve` updates them in place for speed; readers go through `queries.ts`.
 */
import type { OrderPosition } from '../../events/canonical-order.js';
import type { Extent, InodeId, InodeKind, MachineId } from '../../events/types.js';
import type { Refusals } from '../policy/refusals.js';

/**
 * Where a node hangs in the tree, and which op put it there (that op's position orders name conflicts). A node
 * is a name: an inode's own (its id is the inode's) or a hard link's entry (see `entries`).
 */
export interface TreeLink {
  readonly inode: InodeId;
  readonly parent: InodeId;
  readonly name: string;
  readonly pos: OrderPosition;
}

/**
 * One move op in canonical order. `old` is the node's link before the op was applied, so the op can be undone
 * when a late op sorts before it. A Delete's target name is the node's name at application time, hence
 * `toTrash` instead of a fixed name. An applied op other than a Delete is itself the node's link (a TreeLink).
 */
export interface MoveLogEntry {
  readonly pos: OrderPosition;
  readonly inode: InodeId;
  readonly parent: InodeId;
  readonly name: string;
  readonly toTrash: boolean;
  old: TreeLink | undefined;
  /** The op would have made a cycle (or moved root/trash) and was not applied; it stays in the log. */
  skipped: boolean;
}

/**
 * The children of one directory. Inodes sharing a name form a group sorted by link position; the first of a
 * group shows the plain name, the others are "secondaries" shown under a conflict name.
 */
export interface DirIndex {
  /** A group of one is the link itself (most names); of several, an array sorted by position. */
  readonly groups: Map<string, TreeLink | TreeLink[]>;
  /** Short conflict name (`name.conflict-<author8>`) → the secondaries that want it. */
  readonly secondaries: Map<string, Set<TreeLink>>;
  /** Long conflict name (`name.conflict-<author8>-<inode>`) → secondary, used when the short name is ambiguous. */
  readonly longNames: Map<string, TreeLink>;
  /** childrenOf's answer, dropped on any change to this directory: shown name, tree node, inode it names. */
  sorted: Array<{ readonly name: string; readonly entry: InodeId; readonly inode: InodeId }> | undefined;
}

/** A last-writer-wins value: the one written by the event with the greatest canonical position. */
export interface Register<T> {
  readonly pos: OrderPosition;
  readonly value: T;
}

export interface FileContent {
  readonly sizeBytes: number;
  /**
   * Small files: the whole content, one character per byte (latin1). A string costs a few bytes over its
   * length where a Uint8Array of its own costs hundreds; `inlineBytes` gives the bytes back.
   */
  readonly inline?: string;
  readonly extents?: readonly Extent[];
}

/** Identity fields set together by Create. */
export interface CreateAttrs {
  readonly kind: InodeKind;
  readonly target?: string;
  readonly rdev?: number;
}

/**
 * One inode's last-writer-wins registers, each a value and the position of the event that wrote it (both
 * undefined until one did). Flat rather than an object per register: an inode made by one Create and one
 * Write then costs one object, its fields pointing at those two events' shared positions.
 */
export interface InodeAttrs {
  created: CreateAttrs | undefined;
  createdPos: OrderPosition | undefined;
  mode: number | undefined;
  modePos: OrderPosition | undefined;
  uid: number | undefined;
  uidPos: OrderPosition | undefined;
  gid: number | undefined;
  gidPos: OrderPosition | undefined;
  mtimeMs: number | undefined;
  mtimePos: OrderPosition | undefined;
  atimeMs: number | undefined;
  atimePos: OrderPosition | undefined;
  ctimeMs: number | undefined;
  ctimePos: OrderPosition | undefined;
  content: FileContent | undefined;
  contentPos: OrderPosition | undefined;
  /** Per-name registers; `null` is a removal tombstone. */
  xattrs: Map<string, Register<Uint8Array | null>> | undefined;
}

/** Seqs seen from one author: all of 1..upTo, plus `above` for ones that arrived ahead of a gap. */
export interface SeenSeqs {
  /** The author's id, one string shared by the positions of all its events in the state. */
  readonly author: MachineId;
  upTo: number;
  readonly above: Set<number>;
}

export interface NamespaceState {
  /** Current link of every node that has one; ROOT and TRASH have none (children of nothing). */
  readonly links: Map<InodeId, TreeLink>;
  /** Move ops in canonical order. */
  readonly log: MoveLogEntry[];
  /** Hard links: entry (a tree node) → the inode it names, set by Link. */
  readonly entries: Map<InodeId, Register<InodeId>>;
  /** inode → the entries naming it besides its own node; derived from `entries`, never stored. */
  readonly linksOf: Map<InodeId, Set<InodeId>>;
  /** parent → its children's index. */
  readonly dirs: Map<InodeId, DirIndex>;
  readonly attrs: Map<InodeId, InodeAttrs>;
  readonly seen: Map<MachineId, SeenSeqs>;
  /** Events the namespace's policy refused: seen (so never folded again), kept out of the tree. */
  readonly refused: Refusals;
  /** Bumped on every tree change, so derived caches (liveCount) know when to recompute. */
  treeVersion: number;
  liveCountCache: { readonly version: number; readonly count: number } | undefined;
}

export function initialNamespaceState(): NamespaceState {
  return {
    links: new Map(),
    log: [],
    entries: new Map(),
    linksOf: new Map(),
    dirs: new Map(),
    attrs: new Map(),
    seen: new Map(),
    refused: new Map(),
    treeVersion: 0,
    liveCountCache: undefined,
  };
}
