import { TgfsError } from '../../errors.js';
import { type DeleteBody, type InodeId, ROOT_INODE } from '../../events/types.js';
import { childrenOf } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { nameAt, nodeAt } from './paths.js';
import { touchDir } from './touch-dir.js';

/**
 * unlink(2): one name of anything but a directory. The inode itself (content, attributes) lives on while it has
 * another name.
 */
export function decideUnlink(state: NamespaceState, path: string, nowMs: number): Command[] {
  const { node, entry, parent } = nameAt(state, path);
  if (node.kind === 'dir') throw new TgfsError('IS_DIR', `${path}: is a directory`);
  return [{ type: 'Delete', body: deleteBody(node.inode, entry, path) }, touchDir(parent, path, nowMs)];
}

/** The Delete of one name: `entry` is named only for a hard link (its own name needs schema 1 alone). */
export function deleteBody(inode: InodeId, entry: InodeId, path: string): DeleteBody {
  return entry === inode ? { inode, path } : { inode, entry, path };
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
