import { TgfsError } from '../../errors.js';
import type { NamespaceState } from '../namespace/state.js';
import type { Command } from '../replica.js';
import { decideAttrs } from './attrs.js';
import { decideCreate } from './create.js';
import type { FsRequest } from './fs-request.js';
import { decideLink } from './link.js';
import { nodeAt } from './paths.js';
import { decideRmdir, decideUnlink } from './remove.js';
import { decideRename } from './rename.js';

/**
 * What a POSIX call does to a namespace: the commands it emits, or the TgfsError it fails with. Pure — it reads
 * only the state and the request — so `Replica.commit` can run it under the intake lock, against the state
 * every earlier commit left, and a check ("is this name free?") and its commit are one step.
 */
export function decide(state: NamespaceState, request: FsRequest): Command[] {
  switch (request.kind) {
    case 'create':
    case 'mkdir':
    case 'symlink':
    case 'mknod':
      return decideCreate(state, request);
    case 'unlink':
      return decideUnlink(state, request.path, request.nowMs);
    case 'rmdir':
      return decideRmdir(state, request.path, request.nowMs);
    case 'rename':
      return decideRename(state, request.from, request.to, request.nowMs);
    case 'chmod':
    case 'chown':
    case 'utimens':
    case 'setxattr':
    case 'removexattr':
      return decideAttrs(state, request);
    case 'link':
      return decideLink(state, request);
    case 'truncate':
      if (nodeAt(state, request.path).kind === 'dir')
        throw new TgfsError('IS_DIR', `${request.path}: is a directory`);
      return [];
  }
}
