import type { InodeId } from '../../events/types.js';
import type { Command } from '../replica.js';
import { splitPath } from './paths.js';

/**
 * A directory's mtime moves when an entry is added, removed or renamed in it, as POSIX says (`find -newer`,
 * backup tools and `ls -lt` rely on it). It rides in the same commit as the change; a later explicit time
 * (tar restoring a directory's mtime after its contents) sorts after it and wins.
 */
export function touchDir(dir: InodeId, childPath: string, mtimeMs: number): Command {
  return { type: 'SetAttr', body: { inode: dir, mtimeMs, path: splitPath(childPath).parentPath } };
}
