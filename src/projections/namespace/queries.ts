/**
 * What the FUSE layer and the CLI read from a namespace projection. Lookups go through the incremental
 * directory index, so each costs O(1) (paths: O(depth)); only `liveCount` walks the tree, and caches its answer.
 */
import { type Extent, type InodeId, type InodeKind, ROOT_INODE, TRASH_INODE } from '../../events/types.js';
import { linkByShownName, shownChildren, shownNameOf } from './dir-index.js';
import type { InodeAttrs, NamespaceState } from './state.js';

export interface InodeView {
  readonly inode: InodeId;
  /** Root and trash are their own parents. */
  readonly parent: InodeId;
  /** The shown name (a conflict name when another child of the directory holds the plain one); '' for root and trash. */
  readonly name: string;
  readonly kind: InodeKind;
  /** Permission bits as the events carry them; the FUSE layer adds the type bits for `kind`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly atimeMs: number;
  readonly ctimeMs: number;
  readonly target?: string;
  readonly inline?: Uint8Array;
  readonly extents?: readonly Extent[];
  /** The Write event whose content is shown (author and seq name it), for error reports. */
  readonly contentEvent?: { readonly author: string; readonly seq: number };
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
}

const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();
const DEFAULT_DIR_MODE = 0o755;
const TRASH_MODE = 0o700;

function isCreated(state: NamespaceState, inode: InodeId): boolean {
  return inode === ROOT_INODE || inode === TRASH_INODE || state.attrs.get(inode)?.created !== undefined;
}

/** The child shown as `name` in directory `parent`. */
export function lookup(state: NamespaceState, parent: InodeId, name: string): InodeId | undefined {
  const link = linkByShownName(state, parent, name);
  return link !== undefined && isCreated(state, link.inode) ? link.inode : undefined;
}

/** Children of `dir` under their shown names, sorted by name (UTF-16 code units). A fresh array. */
export function childrenOf(state: NamespaceState, dir: InodeId): Array<[name: string, inode: InodeId]> {
  return sortedChildren(state, dir).slice();
}

/** How many children of `dir` are directories: its link count is 2 plus this. No copy, no view per child. */
export function subdirectoryCount(state: NamespaceState, dir: InodeId): number {
  let n = 0;
  for (const [, child] of sortedChildren(state, dir))
    if (state.attrs.get(child)?.created?.value.kind === 'dir') n++;
  return n;
}

/** The directory index's cached listing, computed on first use after a change; callers must not modify it. */
function sortedChildren(state: NamespaceState, dir: InodeId): ReadonlyArray<[name: string, inode: InodeId]> {
  const index = state.dirs.get(dir);
  if (index === undefined) return [];
  if (index.sorted === undefined) {
    const out: Array<[string, InodeId]> = [];
    for (const [name, link] of shownChildren(state, dir))
      if (isCreated(state, link.inode)) out.push([name, link.inode]);
    // Shown names are unique unless someone names a file like a long conflict name; the inode keeps that stable.
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    index.sorted = out;
  }
  return index.sorted;
}

/** True for root and for created nodes whose ancestors are created and reach root (not trash). */
export function isLive(state: NamespaceState, inode: InodeId): boolean {
  let current = inode;
  for (;;) {
    if (current === ROOT_INODE) return true;
    if (current === TRASH_INODE || !isCreated(state, current)) return false;
    const link = state.links.get(current);
    if (link === undefined) return false;
    current = link.parent;
  }
}

/** Attributes of a created node, live or in the trash (an open file may outlive its name). */
export function nodeOf(state: NamespaceState, inode: InodeId): InodeView | undefined {
  const attrs = state.attrs.get(inode);
  if (inode === ROOT_INODE || inode === TRASH_INODE) {
    return view(
      inode,
      inode,
      '',
      'dir',
      undefined,
      attrs,
      inode === ROOT_INODE ? DEFAULT_DIR_MODE : TRASH_MODE,
    );
  }
  const created = attrs?.created;
  const link = state.links.get(inode);
  if (created === undefined || link === undefined) return undefined;
  return view(
    inode,
    link.parent,
    shownNameOf(state, link),
    created.value.kind,
    created.value.target,
    attrs,
    0,
  );
}

function view(
  inode: InodeId,
  parent: InodeId,
  name: string,
  kind: InodeKind,
  target: string | undefined,
  attrs: InodeAttrs | undefined,
  defaultMode: number,
): InodeView {
  const content = attrs?.content?.value;
  const sizeBytes =
    content?.sizeBytes ?? (target === undefined ? 0 : new TextEncoder().encode(target).length);
  let xattrs = NO_XATTRS;
  if (attrs?.xattrs !== undefined) {
    const live = new Map<string, Uint8Array>();
    for (const [key, reg] of attrs.xattrs) if (reg.value !== null) live.set(key, reg.value);
    xattrs = live;
  }
  return {
    inode,
    parent,
    name,
    kind,
    mode: attrs?.mode?.value ?? defaultMode,
    uid: attrs?.uid?.value ?? 0,
    gid: attrs?.gid?.value ?? 0,
    sizeBytes,
    mtimeMs: attrs?.mtimeMs?.value ?? 0,
    atimeMs: attrs?.atimeMs?.value ?? 0,
    ctimeMs: attrs?.ctimeMs?.value ?? 0,
    ...(target === undefined ? {} : { target }),
    ...(content?.inline === undefined ? {} : { inline: content.inline }),
    ...(content?.extents === undefined ? {} : { extents: content.extents }),
    ...(attrs?.content === undefined
      ? {}
      : { contentEvent: { author: attrs.content.pos.author, seq: attrs.content.pos.seq } }),
    xattrs,
  };
}

/** '/'-separated path of shown names from root; '/' is root. Empty segments are ignored. */
export function resolvePath(state: NamespaceState, path: string): InodeId | undefined {
  let current: InodeId | undefined = ROOT_INODE;
  for (const segment of path.split('/')) {
    if (segment === '') continue;
    current = lookup(state, current, segment);
    if (current === undefined) return undefined;
  }
  return current;
}

/** The path `resolvePath` maps to `inode`, or undefined if the node is not live. */
export function pathOf(state: NamespaceState, inode: InodeId): string | undefined {
  if (!isLive(state, inode)) return undefined;
  const names: string[] = [];
  let link = state.links.get(inode);
  while (link !== undefined) {
    names.push(shownNameOf(state, link));
    link = state.links.get(link.parent);
  }
  return '/' + names.reverse().join('/');
}

/** Number of live inodes, root included (statfs' file count). Recomputed only after the tree changed. */
export function liveCount(state: NamespaceState): number {
  const cached = state.liveCountCache;
  if (cached !== undefined && cached.version === state.treeVersion) return cached.count;
  let count = 1;
  const stack: InodeId[] = [ROOT_INODE];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    for (const [, link] of shownChildren(state, dir)) {
      if (!isCreated(state, link.inode)) continue;
      count++;
      stack.push(link.inode);
    }
  }
  state.liveCountCache = { version: state.treeVersion, count };
  return count;
}
