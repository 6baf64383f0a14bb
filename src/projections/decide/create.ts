import { TgfsError } from '../../errors.js';
import type { CreateBody } from '../../events/types.js';
import { lookup } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { PERMISSION_BITS } from './attrs.js';
import type { CreateRequest } from './fs-request.js';
import { newInodeOwner } from './new-owner.js';
import { parentDirOf } from './paths.js';
import { touchDir } from './touch-dir.js';

/** A new file, directory or symlink: one Create, and its parent's mtime. */
export function decideCreate(state: NamespaceState, request: CreateRequest): Command[] {
  const { parent, name } = parentDirOf(state, request.path);
  if (lookup(state, parent.inode, name) !== undefined)
    throw new TgfsError('EXISTS', `${request.path}: already exists`);
  const kind = request.kind === 'create' ? 'file' : request.kind === 'mkdir' ? 'dir' : 'symlink';
  // A symlink's own mode means nothing on Linux; 0777 is what lstat shows for one.
  const mode = request.kind === 'symlink' ? 0o777 : request.mode & PERMISSION_BITS;
  const owner = newInodeOwner(parent, request, kind, mode);
  const body: CreateBody = {
    inode: request.inode,
    parent: parent.inode,
    name,
    kind,
    mode: owner.mode,
    uid: owner.uid,
    gid: owner.gid,
    mtimeMs: request.nowMs,
    path: request.path,
    ...(request.kind === 'symlink' ? { target: request.target } : {}),
  };
  return [{ type: 'Create', body }, touchDir(parent.inode, request.path, request.nowMs)];
}
