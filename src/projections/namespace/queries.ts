/**
 * What the FUSE layer and the CLI read from a namespace projection. Lookups go through the incremental
 * directory index, so each costs O(1) (paths: O(depth)); only `liveCount` walks the tree, and caches its answer.
 */
import { compareCanonical } from '../../events/canonical-order.js';
import { type Extent, type InodeId, type InodeKind, ROOT_INODE, TRASH_INODE } from '../../events/types.js';
import { inlineBytes } from './attributes.js';
import { linkByShownName, shownChildren, shownNameOf } from './dir-index.js';
import { inodeOfNode, namesOf } from './hard-links.js';
import type { InodeAttrs, NamespaceState, TreeLink } from './state.js';

export interface InodeView {
  readonly inode: InodeId;
  /**
   * Where the inode's primary name is (see `primaryLink`; a file with hard links has others). Root and trash are
   * their own parents.
   */
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
  /** Device number of a chardev or blockdev; 0 otherwise. */
  readonly rdev: number;
  readonly inline?: Uint8Array;
  readonly extents?: readonly Extent[];
  /** The Write event whose content is shown (author and seq name it), for error reports. */
  readonly contentEvent?: { readonly author: string; readonly seq: number };
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
}

const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();
const DEFAULT_DIR_MODE = 0o755;
const TRASH_MODE = 0o700;

/**
 * Whether the tree node `node` names something that exists: root, trash, an inode whose Create has been folded,
 * or a link entry naming such an inode. A link to a directory is never shown: directories have one name.
 */
function isCreated(state: NamespaceState, node: InodeId): boolean {
  if (node === ROOT_INODE || node === TRASH_INODE) return true;
  const target = state.entries.get(node)?.value;
  if (target === undefined) return state.attrs.get(node)?.created !== undefined;
  const kind = state.attrs.get(target)?.created?.kind;
  return kind !== undefined && kind !== 'dir';
}

/** One name in a directory listing: the shown name, the tree node that is the name, and the inode it names. */
export interface ChildEntry {
  readonly name: string;
  readonly entry: InodeId;
  readonly inode: InodeId;
}

/** The inode shown as `name` in directory `parent`. */
export function lookup(state: NamespaceState, parent: InodeId, name: string): InodeId | undefined {
  const link = lookupName(state, parent, name);
  return link === undefined ? undefined : inodeOfNode(state, link.inode);
}

/** The name (tree node) shown as `name` in directory `parent`: what unlink and rename act on. */
export function lookupName(state: NamespaceState, parent: InodeId, name: string): TreeLink | undefined {
  const link = linkByShownName(state, parent, name);
  return link !== undefined && isCreated(state, link.inode) ? link : undefined;
}

/** Children of `dir` under their shown names, sorted by name (UTF-16 code units). A fresh array. */
export function childrenOf(state: NamespaceState, dir: InodeId): Array<[name: string, inode: InodeId]> {
  return sortedChildren(state, dir).map((child) => [child.name, child.inode]);
}

/** Like `childrenOf`, with the tree node of each name. Callers must not modify the array. */
export function entriesOf(state: NamespaceState, dir: InodeId): ReadonlyArray<ChildEntry> {
  return sortedChildren(state, dir);
}

/** How many children of `dir` are directories: its link count is 2 plus this. No copy, no view per child. */
export function subdirectoryCount(state: NamespaceState, dir: InodeId): number {
  let n = 0;
  for (const child of sortedChildren(state, dir))
    if (state.attrs.get(child.inode)?.created?.kind === 'dir') n++;
  return n;
}

/** The directory index's cached listing, computed on first use after a change; callers must not modify it. */
function sortedChildren(state: NamespaceState, dir: InodeId): ReadonlyArray<ChildEntry> {
  const index = state.dirs.get(dir);
  if (index === undefined) return [];
  if (index.sorted === undefined) {
    const out: ChildEntry[] = [];
    for (const [name, link] of shownChildren(state, dir))
      if (isCreated(state, link.inode))
        out.push({ name, entry: link.inode, inode: inodeOfNode(state, link.inode) });
    // Shown names are unique unless someone names a file like a long conflict name; the node keeps that stable.
    out.sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0,
    );
    index.sorted = out;
  }
  return index.sorted;
}

/**
 * How many names of `inode` are live (a file's st_nlink): its own and its hard links, wherever they are. An
 * unlinked file that is still open has none.
 */
export function linkCount(state: NamespaceState, inode: InodeId): number {
  let n = 0;
  for (const name of namesOf(state, inode)) if (isLiveNode(state, name)) n++;
  return n;
}

/**
 * The name an inode is reported under (InodeView's parent and name, pathOf): its own while that is live,
 * else its canonically first live hard link, else (all gone) its own wherever it is.
 */
export function primaryLink(state: NamespaceState, inode: InodeId): TreeLink | undefined {
  const own = state.links.get(inode);
  const links = state.linksOf.get(inode);
  if (links === undefined || (own !== undefined && isLiveNode(state, inode))) return own;
  let best: TreeLink | undefined;
  for (const entry of links) {
    const link = state.links.get(entry);
    if (link === undefined || !isCreated(state, entry) || !isLiveNode(state, entry)) continue;
    if (best === undefined || compareCanonical(link.pos, best.pos) < 0) best = link;
  }
  return best ?? own;
}

/** True for root and for created inodes with a live name: one whose ancestors are created and reach root. */
export function isLive(state: NamespaceState, inode: InodeId): boolean {
  if (!isCreated(state, inode)) return false;
  for (const name of namesOf(state, inode)) if (isLiveNode(state, name)) return true;
  return false;
}

/** Whether the tree node (a name) is created and hangs, through created directories, from root. */
function isLiveNode(state: NamespaceState, node: InodeId): boolean {
  let current = node;
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
  if (created === undefined) return undefined;
  const link = primaryLink(state, inode);
  if (link === undefined) return undefined;
  return view(inode, link.parent, shownNameOf(state, link), created.kind, created.target, attrs, 0);
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
  const content = attrs?.content;
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
    mode: attrs?.mode ?? defaultMode,
    uid: attrs?.uid ?? 0,
    gid: attrs?.gid ?? 0,
    sizeBytes,
    mtimeMs: attrs?.mtimeMs ?? 0,
    atimeMs: attrs?.atimeMs ?? 0,
    ctimeMs: attrs?.ctimeMs ?? 0,
    ...(target === undefined ? {} : { target }),
    rdev: attrs?.created?.rdev ?? 0,
    ...(content?.inline === undefined ? {} : { inline: inlineBytes(content.inline) }),
    ...(content?.extents === undefined ? {} : { extents: content.extents }),
    ...(attrs?.contentPos === undefined
      ? {}
      : { contentEvent: { author: attrs.contentPos.author, seq: attrs.contentPos.seq } }),
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
  let link = primaryLink(state, inode);
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
