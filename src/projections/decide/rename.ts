import { TgfsError } from '../../errors.js';
import { ROOT_INODE } from '../../events/types.js';
import { childrenOf, lookup, nodeOf } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { isSelfOrAncestor, nodeAt, parentDirOf } from './paths.js';
import { touchDir } from './touch-dir.js';

/**
 * rename(2): moves `from` to `to`, replacing a target there (a file by a non-directory, an empty directory by
 * a directory). The target's removal and the move are one command list, so they land in one batch: rename(2)
 * is atomic. A rename onto itself changes nothing and emits nothing.
 */
export function decideRename(state: NamespaceState, from: string, to: string, nowMs: number): Command[] {
  const source = nodeAt(state, from);
  if (source.inode === ROOT_INODE)
    throw new TgfsError('INVALID_ARGUMENT', 'the root directory cannot be moved');
  const { parent, name } = parentDirOf(state, to);
  if (source.kind === 'dir' && isSelfOrAncestor(state, source.inode, parent.inode)) {
    throw new TgfsError('INVALID_ARGUMENT', `cannot move ${from} into itself (${to})`);
  }
  const existing = lookup(state, parent.inode, name);
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
    commands.push({ type: 'Delete', body: { inode: existing, path: to } });
  }
  commands.push({ type: 'Move', body: { inode: source.inode, parent: parent.inode, name, path: to } });
  commands.push(touchDir(parent.inode, to, nowMs));
  if (source.parent !== parent.inode) commands.push(touchDir(source.parent, from, nowMs));
  return commands;
}
