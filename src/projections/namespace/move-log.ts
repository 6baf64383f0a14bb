/**
 * The replicated-tree move operation of Kleppmann et al. 2021 ("A highly-available move operation for
 * replicated trees"). Ops are applied in canonical order; an op that arrives late undoes the ops sorting after
 * it, applies, and redoes them, so the tree is always the in-order fold of the ops seen so far. A move that
 * would make a node its own ancestor is skipped but stays in the log, since a late op may change the answer.
 */
import { compareCanonical, type OrderPosition } from '../../events/canonical-order.js';
import { type InodeId, ROOT_INODE, TRASH_INODE } from '../../events/types.js';
import { indexLink, unindexLink } from './dir-index.js';
import type { MoveLogEntry, NamespaceState, TreeLink } from './state.js';

export interface MoveOp {
  readonly pos: OrderPosition;
  readonly inode: InodeId;
  /** Ignored when `toTrash`. */
  readonly parent: InodeId;
  /** Ignored when `toTrash`: a delete keeps the node's name, so it can be inspected and restored. */
  readonly name: string;
  readonly toTrash: boolean;
}

/** Adds `op` to the log at its canonical place. Returns false if an op with that position is already there. */
export function applyMoveOp(state: NamespaceState, op: MoveOp): boolean {
  const { log } = state;
  const entry: MoveLogEntry = {
    pos: op.pos,
    inode: op.inode,
    parent: op.toTrash ? TRASH_INODE : sharedId(state, op.parent),
    name: op.name,
    toTrash: op.toTrash,
    old: undefined,
    skipped: false,
  };
  const last = log[log.length - 1];
  const order = last === undefined ? 1 : compareCanonical(op.pos, last.pos);
  if (order === 0) return false;
  if (order > 0) {
    log.push(entry);
    doOp(state, entry);
    return true;
  }
  const at = searchLog(log, op.pos);
  if (at < log.length && compareCanonical(log[at]!.pos, op.pos) === 0) return false;
  for (let i = log.length - 1; i >= at; i--) undoOp(state, log[i]!);
  log.splice(at, 0, entry);
  for (let i = at; i < log.length; i++) doOp(state, log[i]!);
  return true;
}

/**
 * The directory's id as the state already holds it (its own link's), so that the thousand children of one
 * directory point at one string rather than a copy each from their events.
 */
function sharedId(state: NamespaceState, id: InodeId): InodeId {
  if (id === ROOT_INODE) return ROOT_INODE;
  return state.links.get(id)?.inode ?? id;
}

/** First index whose position is not before `pos`. */
function searchLog(log: readonly MoveLogEntry[], pos: OrderPosition): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCanonical(log[mid]!.pos, pos) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether `ancestor` is `node` or lies on `node`'s parent chain. The tree has no cycles, so this ends. */
export function isAncestorOrSelf(state: NamespaceState, ancestor: InodeId, node: InodeId): boolean {
  if (ancestor === node) return true;
  // Files and new nodes have no children, so they are no one's ancestor: skip the walk for most ops.
  if (!state.dirs.has(ancestor)) return false;
  let current: InodeId | undefined = node;
  while (current !== undefined) {
    if (current === ancestor) return true;
    current = state.links.get(current)?.parent;
  }
  return false;
}

function doOp(state: NamespaceState, entry: MoveLogEntry): void {
  const old = state.links.get(entry.inode);
  entry.old = old;
  const fixed = entry.inode === ROOT_INODE || entry.inode === TRASH_INODE;
  entry.skipped = fixed || isAncestorOrSelf(state, entry.inode, entry.parent);
  if (entry.skipped) return;
  // A delete of a node with no link yet (its Create not seen) has no name to keep; its id is one. Any other op
  // names the node exactly as its entry does, so the entry is the link (one object per op, not two).
  const link: TreeLink = entry.toTrash
    ? { inode: entry.inode, parent: entry.parent, name: old?.name ?? entry.inode, pos: entry.pos }
    : entry;
  if (old !== undefined) unindexLink(state, old);
  state.links.set(entry.inode, link);
  indexLink(state, link);
  state.treeVersion++;
}

function undoOp(state: NamespaceState, entry: MoveLogEntry): void {
  if (entry.skipped) return;
  const current = state.links.get(entry.inode);
  if (current === undefined || current.pos !== entry.pos)
    throw new TypeError(`move log out of step at ${entry.inode}`);
  unindexLink(state, current);
  if (entry.old === undefined) state.links.delete(entry.inode);
  else {
    state.links.set(entry.inode, entry.old);
    indexLink(state, entry.old);
  }
  state.treeVersion++;
}
