/**
 * st_ino from the inode id: 64 bits of a hash of the id's bytes, so a file keeps its inode number on every
 * mount, remount and rebuild (and on every machine), and all names of a hard-linked file show the same one. The
 * root is 1. A hash rather than the id's own bytes, because ids need not be random in their first 8 bytes.
 */
import { createHash } from 'node:crypto';
import { INODE_NUMBER_TAG } from '../crypto/contexts.js';
import { type InodeId, ROOT_INODE } from '../events/types.js';

export const ROOT_INO = 1n;

export function inodeNumberOf(inode: InodeId): bigint {
  if (inode === ROOT_INODE) return ROOT_INO;
  const digest = createHash('sha256').update(INODE_NUMBER_TAG).update(Buffer.from(inode, 'hex')).digest();
  const ino = digest.readBigUInt64BE(0);
  // 0 is "no inode" and 1 is the root's: the digests that land there (2 in 2^64) move up.
  return ino < 2n ? ino + 2n : ino;
}
