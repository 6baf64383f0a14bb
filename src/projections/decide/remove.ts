import { TgfsError } from '../../errors.js';
import { ROOT_INODE } from '../../events/types.js';
import { childrenOf } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { nodeAt } from './paths.js';
import { touchDir } from './touch-dir.js';

/** unlink(2): a file or symlink, never a directory. */
export function decideUnlink(state: NamespaceState, path: string, nowMs: number): Command[] {
  const node = nodeAt(state, path);
  if (node.kind === 'dir') throw new TgfsError('IS_DIR', `${path}: is a directory`);
  return [{ type: 'Delete', body: { inode: node.inode, path } }, touchDir(node.parent, path, nowMs)];
}

/** rmdir(2): an empty directory other than the root. */
export function decideRmdir(state: NamespaceState, path: string, nowMs: number): Command[] {
  const node = nodeAt(state, path);
  if (node.kind !== 'dir') throw new TgfsError('NOT_DIR', `${path}: not a directory`);
  if (node.inode === ROOT_INODE) throw new TgfsError('ACCESS_DENIED', 'the root directory cannot be removed');
  if (childrenOf(state, node.inode).length > 0)
    throw new TgfsError('NOT_EMPTY', `${path}: directory not empty`);
  return [{ type: 'Delete', body: { inode: node.inode, path } }, touchDir(node.parent, path, nowMs)];
}
