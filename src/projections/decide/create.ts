import { TgfsError } from '../../errors.js';
import type { CreateBody, InodeKind, SpecialKind } from '../../events/types.js';
import { lookup } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { PERMISSION_BITS } from './attrs.js';
import type { CreateRequest } from './fs-request.js';
import { newInodeOwner } from './new-owner.js';
import { parentDirOf } from './paths.js';
import { touchDir } from './touch-dir.js';

/** A new file, directory, symlink or special file: one Create, and its parent's mtime. */
export function decideCreate(state: NamespaceState, request: CreateRequest): Command[] {
  const { parent, name } = parentDirOf(state, request.path);
  if (lookup(state, parent.inode, name) !== undefined)
    throw new TgfsError('EXISTS', `${request.path}: already exists`);
  const kind = kindOf(request);
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
    ...(request.kind === 'mknod' && isDevice(request.fileType) ? { rdev: request.rdev } : {}),
  };
  return [{ type: 'Create', body }, touchDir(parent.inode, request.path, request.nowMs)];
}

function kindOf(request: CreateRequest): InodeKind {
  switch (request.kind) {
    case 'create':
      return 'file';
    case 'mkdir':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'mknod':
      return request.fileType;
  }
}

/** Only device nodes have a device number; a FIFO's or socket's rdev is 0 whatever mknod was given. */
function isDevice(kind: SpecialKind): boolean {
  return kind === 'chardev' || kind === 'blockdev';
}
