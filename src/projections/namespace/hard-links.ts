/**
 * Hard links in the tree. Every tree node is one name: an inode's own node (the one its Create made, whose id is
 * the inode's) or a link entry (a node of its own, made by Link, naming an existing inode). The move CRDT keeps
 * one parent per node, so a file with three names is three nodes; its content and attributes stay keyed by the
 * inode. Which inode an entry names is a last-writer-wins register (an entry's id is fresh, so in practice it is
 * written once), so it commutes like the attributes. Pure: no I/O.
 */
import { compareCanonical, type OrderPosition } from '../../events/canonical-order.js';
import type { InodeId, LinkBody } from '../../events/types.js';
import type { NamespaceState } from './state.js';

/** The inode the tree node `node` names: itself, unless it is a link entry. */
export function inodeOfNode(state: NamespaceState, node: InodeId): InodeId {
  return state.entries.get(node)?.value ?? node;
}

/** Every tree node that names `inode`: its own first, then its link entries (in no particular order). */
export function namesOf(state: NamespaceState, inode: InodeId): InodeId[] {
  const links = state.linksOf.get(inode);
  return links === undefined ? [inode] : [inode, ...links];
}

/** Records which inode the entry names; returns true when that changed (the entry's listing must be redone). */
export function applyLinkEntry(state: NamespaceState, body: LinkBody, pos: OrderPosition): boolean {
  const before = state.entries.get(body.entry);
  if (before !== undefined && compareCanonical(before.pos, pos) >= 0) return false;
  state.entries.set(body.entry, { pos, value: body.inode });
  if (before?.value === body.inode) return false;
  if (before !== undefined) unlinkName(state, before.value, body.entry);
  addName(state, body.inode, body.entry);
  return true;
}

/** Rebuilds the derived inode → entries index (after a checkpoint is loaded). */
export function indexLinkEntries(state: NamespaceState): void {
  state.linksOf.clear();
  for (const [entry, reg] of state.entries) addName(state, reg.value, entry);
}

function addName(state: NamespaceState, inode: InodeId, entry: InodeId): void {
  let set = state.linksOf.get(inode);
  if (set === undefined) {
    set = new Set();
    state.linksOf.set(inode, set);
  }
  set.add(entry);
}

function unlinkName(state: NamespaceState, inode: InodeId, entry: InodeId): void {
  const set = state.linksOf.get(inode);
  set?.delete(entry);
  if (set?.size === 0) state.linksOf.delete(inode);
}
