import type { InodeId, SpecialKind } from '../../events/types.js';

/**
 * One POSIX call, as `decide` needs it: paths as the kernel gave them, plus what a pure function cannot make
 * for itself — the id a new inode gets and the time the call happened.
 */
export type FsRequest =
  | CreateRequest
  | { readonly kind: 'unlink'; readonly path: string; readonly nowMs: number }
  | { readonly kind: 'rmdir'; readonly path: string; readonly nowMs: number }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string; readonly nowMs: number }
  | AttrRequest
  | LinkRequest
  /** Only the precondition: the new content itself is committed from the open file's working copy. */
  | { readonly kind: 'truncate'; readonly path: string };

/** A new entry at `path`, whose name must be free. */
export type CreateRequest =
  | (NewEntry & { readonly kind: 'create' | 'mkdir'; readonly mode: number })
  | (NewEntry & { readonly kind: 'symlink'; readonly target: string })
  /** mknod(2) of a FIFO, device node or socket: metadata only. `rdev` matters for devices alone. */
  | (NewEntry & {
      readonly kind: 'mknod';
      readonly fileType: SpecialKind;
      readonly mode: number;
      readonly rdev: number;
    });

/** link(2): `path` becomes another name of the inode at `existing`. */
export interface LinkRequest {
  readonly kind: 'link';
  readonly existing: string;
  readonly path: string;
  /** Minted by the caller (`newInodeId`): the tree node the new name is. */
  readonly entry: InodeId;
  readonly nowMs: number;
}

interface NewEntry {
  readonly path: string;
  /** Minted by the caller (`newInodeId`): ids are random, and decide draws no randomness. */
  readonly inode: InodeId;
  /** The calling process's uid and gid; the new inode's owner follows from them and the parent (`newInodeOwner`). */
  readonly uid: number;
  readonly gid: number;
  readonly nowMs: number;
}

/** A change to one inode's attributes: one SetAttr. */
export type AttrRequest =
  | { readonly kind: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly kind: 'chown'; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly kind: 'utimens'; readonly path: string; readonly atimeMs: number; readonly mtimeMs: number }
  | { readonly kind: 'setxattr'; readonly path: string; readonly name: string; readonly value: Uint8Array }
  | { readonly kind: 'removexattr'; readonly path: string; readonly name: string };
