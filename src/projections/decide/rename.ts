import { TgfsError } from '../../errors.js';
import { ROOT_INODE } from '../../events/types.js';
import { inodeOfNode } from '../namespace/hard-links.js';
import { childrenOf, lookupName, nodeOf } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { isSelfOrAncestor, nameAt, parentDirOf } from './paths.js';
import { deleteBody } from './remove.js';
import { touchDir } from './touch-dir.js';

/**
 * rename(2): moves `from` to `to`, replacing a target there (a file by a non-directory, an empty directory by
 * a directory). The target's removal and the move are one command list, so they land in one batch: rename(2)
 * is atomic. A rename onto itself changes nothing and emits nothing.
 */
export function decideRename(state: NamespaceState, from: string, to: string, nowMs: number): Command[] {
  const { node: source, entry, parent: sourceParent } = nameAt(state, from);
  if (source.inode === ROOT_INODE)
    throw new TgfsError('INVALID_ARGUMENT', 'the root directory cannot be moved');
  const { parent, name } = parentDirOf(state, to);
  if (source.kind === 'dir' && isSelfOrAncestor(state, source.inode, parent.inode)) {
    throw new TgfsError('INVALID_ARGUMENT', `cannot move ${from} into itself (${to})`);
  }
  const existingName = lookupName(state, parent.inode, name);
  const existing = existingName === undefined ? undefined : inodeOfNode(state, existingName.inode);
  // Onto itself, or onto another hard link of the same inode: rename(2) then does nothing.
  if (existing === source.inode) return [];
  const commands: Command[] = [];
  if (existing !== undefined) {
    const target = nodeOf(state, existing)!;
    if (target.kind === 'dir' && source.kind !== 'dir')
      throw new TgfsError('IS_DIR', `${to}: is a directory`);
    if (target.kind !== 'dir' && source.kind === 'dir')
      throw new TgfsError('NOT_DIR', `${to}: not a directory`);
    if (target.kind === 'dir' && childrenOf(state, target.inode).length > 0) {
      throw new TgfsError('NOT_EMPTY', `${to}: directory not empty`);
    }
    commands.push({ type: 'Delete', body: deleteBody(existing, existingName!.inode, to) });
  }
  const move = { inode: source.inode, parent: parent.inode, name, path: to };
  commands.push({ type: 'Move', body: entry === source.inode ? move : { ...move, entry } });
  commands.push(touchDir(parent.inode, to, nowMs));
  if (sourceParent !== parent.inode) commands.push(touchDir(sourceParent, from, nowMs));
  return commands;
}
