import { TgfsError } from '../../errors.js';
import type { SetAttrBody } from '../../events/types.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import type { AttrRequest } from './fs-request.js';
import { nodeAt } from './paths.js';

/** The mode bits events carry: permissions, setuid/setgid and sticky; the type bits come from the kind. */
export const PERMISSION_BITS = 0o7777;

type AttrChange = Omit<SetAttrBody, 'inode' | 'path'>;

/** chmod, chown, utimens, setxattr, removexattr: one SetAttr on the node at the path. */
export function decideAttrs(state: NamespaceState, request: AttrRequest): Command[] {
  const node = nodeAt(state, request.path);
  let change: AttrChange;
  switch (request.kind) {
    case 'chmod':
      change = { mode: request.mode & PERMISSION_BITS };
      break;
    case 'chown':
      change = { uid: request.uid, gid: request.gid };
      break;
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
