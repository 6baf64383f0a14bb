import { TgfsError } from '../../errors.js';
import { type InodeId, ROOT_INODE } from '../../events/types.js';
import { type InodeView, lookupName, nodeOf, resolvePath } from '../namespace/queries.js';
import type { NamespaceState } from '../namespace/state.js';

/** Linux's NAME_MAX: longer names would fail on any tool that copies them back to a local disk. */
export const NAME_MAX_BYTES = 255;

const utf8 = new TextEncoder();

/** Linux's PATH_MAX, terminating NUL included. */
export const PATH_MAX_BYTES = 4096;

/**
 * The live node shown at `path`, or NOT_FOUND — or NAME_TOO_LONG when the path could never name anything, as a
 * local filesystem answers (the kernel asks FUSE to look such names up rather than refusing them itself).
 */
export function nodeAt(state: NamespaceState, path: string): InodeView {
  const inode = resolvePath(state, path);
  const node = inode === undefined ? undefined : nodeOf(state, inode);
  if (node !== undefined) return node;
  if (
    utf8.encode(path).length >= PATH_MAX_BYTES ||
    path.split('/').some((segment) => utf8.encode(segment).length > NAME_MAX_BYTES)
  ) {
    throw new TgfsError('NAME_TOO_LONG', `${path}: file name too long`);
  }
  throw new TgfsError('NOT_FOUND', `${path}: no such file or directory`);
}

/**
 * The name shown at `path` — the tree node that unlink and rename act on, which for a hard link is not the
 * inode's own — with the inode it names and the directory holding it. Fails as `nodeAt` does.
 */
export function nameAt(
  state: NamespaceState,
  path: string,
): { node: InodeView; entry: InodeId; parent: InodeId } {
  const node = nodeAt(state, path);
  const segments = path.split('/').filter((segment) => segment !== '');
  const name = segments.pop();
  if (name === undefined) return { node, entry: ROOT_INODE, parent: ROOT_INODE };
  const parent = resolvePath(state, segments.join('/'));
  const link = parent === undefined ? undefined : lookupName(state, parent, name);
  if (parent === undefined || link === undefined) throw new TypeError(`${path} resolved but has no name`);
  return { node, entry: link.inode, parent };
}

export function splitPath(path: string): { parentPath: string; name: string } {
  const at = path.lastIndexOf('/');
  return { parentPath: at <= 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

/** Refuses a name no directory entry may have. */
export function checkName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..')
    throw new TgfsError('INVALID_ARGUMENT', `${path}: invalid name`);
  if (utf8.encode(name).length > NAME_MAX_BYTES)
    throw new TgfsError('NAME_TOO_LONG', `${path}: name too long`);
}

/** The directory that is to hold a new name at `path` (the name checked, the parent a directory). */
export function parentDirOf(state: NamespaceState, path: string): { parent: InodeView; name: string } {
  const { parentPath, name } = splitPath(path);
  checkName(name, path);
  const parent = nodeAt(state, parentPath);
  if (parent.kind !== 'dir') throw new TgfsError('NOT_DIR', `${parentPath}: not a directory`);
  return { parent, name };
}

/** Whether `candidate` is `of` or one of its ancestors. */
export function isSelfOrAncestor(state: NamespaceState, candidate: InodeId, of: InodeId): boolean {
  let at: InodeId | undefined = of;
  // The tree has no cycles (the move CRDT skips them); the guard only bounds a damaged state.
  for (let guard = 0; at !== undefined && guard < 1_000_000; guard++) {
    if (at === candidate) return true;
    if (at === ROOT_INODE) return false;
    at = nodeOf(state, at)?.parent;
  }
  return false;
}
