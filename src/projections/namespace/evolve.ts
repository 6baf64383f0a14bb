/**
 * The namespace reducer: Create/Move/Delete are move ops on the replicated tree, and every namespace event
 * feeds the inode's last-writer-wins registers. Mutates and returns the state it is given; reads no clock,
 * key or I/O, so a rollback and replay reproduces it exactly.
 */
import type { OrderPosition } from '../../events/canonical-order.js';
import { type InodeId, ROOT_INODE, type TgfsEvent, TRASH_INODE } from '../../events/types.js';
import type { Verdict } from '../policy/namespace-policy.js';
import { recordRefusal } from '../policy/refusals.js';
import { applyCreateAttrs, applySetAttr, applyWriteAttrs, touchInode } from './attributes.js';
import { applyLinkEntry } from './hard-links.js';
import { applyMoveOp } from './move-log.js';
import { markSeen } from './seen-events.js';
import type { NamespaceState } from './state.js';

export function evolve(state: NamespaceState, event: TgfsEvent): NamespaceState {
  switch (event.type) {
    case 'Create': {
      const pos = markFolded(state, event);
      if (pos === undefined) return state;
      const { body } = event;
      const identityChanged = applyCreateAttrs(state, body, pos);
      applyMoveOp(state, { pos, inode: body.inode, parent: body.parent, name: body.name, toTrash: false });
      // A node linked before its Create arrived becomes visible now, even if this Create's own move was skipped;
      // so do the inode's hard links, which show only once it exists (and is not a directory).
      if (identityChanged) {
        invalidateListing(state, body.inode);
        for (const entry of state.linksOf.get(body.inode) ?? []) invalidateListing(state, entry);
      }
      return state;
    }
    case 'Move': {
      const pos = markFolded(state, event);
      if (pos === undefined) return state;
      const { body } = event;
      touchInode(state, body.inode, pos);
      const node = body.entry ?? body.inode;
      applyMoveOp(state, { pos, inode: node, parent: body.parent, name: body.name, toTrash: false });
      return state;
    }
    case 'Delete': {
      const pos = markFolded(state, event);
      if (pos === undefined) return state;
      const { body } = event;
      touchInode(state, body.inode, pos);
      const node = body.entry ?? body.inode;
      applyMoveOp(state, { pos, inode: node, parent: node, name: '', toTrash: true });
      return state;
    }
    case 'Link': {
      const pos = markFolded(state, event);
      if (pos === undefined) return state;
      const { body } = event;
      // An entry must be a name of its own: one reusing its inode's id, root's or trash's is ignored.
      if (body.entry === body.inode || body.entry === ROOT_INODE || body.entry === TRASH_INODE) return state;
      touchInode(state, body.inode, pos);
      const retargeted = applyLinkEntry(state, body, pos);
      applyMoveOp(state, { pos, inode: body.entry, parent: body.parent, name: body.name, toTrash: false });
      if (retargeted) invalidateListing(state, body.entry);
      return state;
    }
    case 'Write': {
      const pos = markFolded(state, event);
      if (pos !== undefined) applyWriteAttrs(state, event.body, pos);
      return state;
    }
    case 'SetAttr': {
      const pos = markFolded(state, event);
      if (pos !== undefined) applySetAttr(state, event.body, pos);
      return state;
    }
    case 'NamespaceCreated':
    case 'MachineJoined':
    case 'ClusterCreated':
    case 'MachineAdmitted':
    case 'MachineRemoved':
    case 'MachineReplaced':
    case 'MasterChanged':
      return state;
  }
}

/**
 * Marks the event seen and returns its position, or undefined if it was already folded. The position is the
 * one object every register and link the event writes points at, with the author's id shared by all of them.
 */
function markFolded(state: NamespaceState, event: TgfsEvent): OrderPosition | undefined {
  const seen = markSeen(state.seen, event.author, event.seq);
  return seen === undefined ? undefined : { hlc: event.hlc, author: seen.author, seq: event.seq };
}

/**
 * Folds in an event the policy refused: marked seen, so a redelivery or a replay from a checkpoint never
 * folds it after all, and remembered with its reason; the tree does not change.
 */
export function refuse(
  state: NamespaceState,
  event: TgfsEvent,
  verdict: Extract<Verdict, { allowed: false }>,
): NamespaceState {
  if (markSeen(state.seen, event.author, event.seq) !== undefined)
    recordRefusal(state.refused, event, verdict);
  return state;
}

function invalidateListing(state: NamespaceState, inode: InodeId): void {
  state.treeVersion++;
  const link = state.links.get(inode);
  if (link === undefined) return;
  const dir = state.dirs.get(link.parent);
  if (dir !== undefined) dir.sorted = undefined;
}
