import { TgfsError } from '../../errors.js';
import { lookup } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import type { LinkRequest } from './fs-request.js';
import { nodeAt, parentDirOf } from './paths.js';
import { touchDir } from './touch-dir.js';

/**
 * link(2): one Link naming the inode at `existing` from `path`, and the new parent's mtime (the inode's ctime
 * moves with the Link itself). Checked in the kernel's order: the source, the new name's directory and name,
 * then that the source is no directory (directories have exactly one name).
 */
export function decideLink(state: NamespaceState, request: LinkRequest): Command[] {
  const source = nodeAt(state, request.existing);
  const { parent, name } = parentDirOf(state, request.path);
  if (lookup(state, parent.inode, name) !== undefined)
    throw new TgfsError('EXISTS', `${request.path}: already exists`);
  if (source.kind === 'dir')
    throw new TgfsError('NOT_PERMITTED', `${request.existing}: a directory cannot have another name`);
  return [
    {
      type: 'Link',
      body: { entry: request.entry, inode: source.inode, parent: parent.inode, name, path: request.path },
    },
    touchDir(parent.inode, request.path, request.nowMs),
  ];
}
