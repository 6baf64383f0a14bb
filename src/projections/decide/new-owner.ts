import type { InodeKind } from '../../events/types.js';
import type { InodeView } from '../namespace/queries.js';
import { isOwnerId } from './attrs.js';

const S_ISGID = 0o2000;

/** The process making a new inode: its fsuid and fsgid, as the kernel hands them to FUSE. */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
}

export interface NewOwner {
  readonly uid: number;
  readonly gid: number;
  /** The requested mode, with S_ISGID added where the new inode inherits it. */
  readonly mode: number;
}

/**
 * Who a new file, directory, symlink or node belongs to, as Linux decides it (`inode_init_owner`): the caller's
 * uid, and the caller's gid unless the parent directory has the setgid bit, in which case the parent's gid; a
 * directory made there is setgid too, so the rule carries down the tree. Stripping S_ISGID from a new file
 * whose caller is not in its group is the kernel's (`mode_strip_sgid`, before the request reaches FUSE), since
 * only the kernel knows the caller's supplementary groups.
 */
export function newInodeOwner(parent: InodeView, caller: Caller, kind: InodeKind, mode: number): NewOwner {
  // A parent gid no file can have (stored by an earlier version as chown's -1) is not inherited.
  if ((parent.mode & S_ISGID) === 0 || !isOwnerId(parent.gid))
    return { uid: caller.uid, gid: caller.gid, mode };
  return { uid: caller.uid, gid: parent.gid, mode: kind === 'dir' ? mode | S_ISGID : mode };
}
