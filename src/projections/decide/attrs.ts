import { TgfsError } from '../../errors.js';
import type { SetAttrBody } from '../../events/types.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import type { AttrRequest } from './fs-request.js';
import { nodeAt } from './paths.js';

/** The mode bits events carry: permissions, setuid/setgid and sticky; the type bits come from the kind. */
export const PERMISSION_BITS = 0o7777;

type AttrChange = Omit<SetAttrBody, 'inode' | 'path'>;

/**
 * A uid or gid a file can have: 0 to 2^32 - 2. The kernel passes "unchanged" as (uid_t)-1, which arrives as
 * 4294967295 (or -1); earlier versions stored it, and stat must not show such a value (see MountedNamespace).
 */
export function isOwnerId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < 0xffffffff;
}

/** chmod, chown, utimens, setxattr, removexattr: one SetAttr on the node at the path. */
export function decideAttrs(state: NamespaceState, request: AttrRequest): Command[] {
  const node = nodeAt(state, request.path);
  let change: AttrChange;
  switch (request.kind) {
    case 'chmod':
      change = { mode: request.mode & PERMISSION_BITS };
      break;
    case 'chown': {
      // -1 means "leave this id as it is" (chgrp sends it for the uid): it must never be stored.
      change = {
        ...(isOwnerId(request.uid) ? { uid: request.uid } : {}),
        ...(isOwnerId(request.gid) ? { gid: request.gid } : {}),
      };
      if (change.uid === undefined && change.gid === undefined) return [];
      break;
    }
    case 'utimens':
      change = { atimeMs: request.atimeMs, mtimeMs: request.mtimeMs };
      break;
    case 'setxattr':
      change = { xattrSet: { [request.name]: request.value } };
      break;
    case 'removexattr':
      if (!node.xattrs.has(request.name))
        throw new TgfsError('NO_XATTR', `${request.path}: no attribute ${request.name}`);
      change = { xattrRemove: [request.name] };
      break;
  }
  return [{ type: 'SetAttr', body: { inode: node.inode, ...change, path: request.path } }];
}
