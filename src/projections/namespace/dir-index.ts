/**
 * The shown-name index of each directory, kept up to date link by link so that lookups cost O(1).
 *
 * Shown names are a function of the directory's current children only (never of the order ops arrived in),
 * so replicas holding the same events show the same names: in a group of children sharing a name, the one
 * linked by the canonically earliest op keeps the name; each other one is shown as
 * `${name}.conflict-${first 8 chars of its op's author}`, or, when that short name is wanted by several
 * children or is itself a child's plain name, as `${short}-${inode}`.
 */
import { compareCanonical } from '../../events/canonical-order.js';
import type { InodeId } from '../../events/types.js';
import type { DirIndex, NamespaceState, TreeLink } from './state.js';

export function shortConflictName(link: TreeLink): string {
  return `${link.name}.conflict-${link.pos.author.slice(0, 8)}`;
}

function longConflictName(link: TreeLink): string {
  return `${shortConflictName(link)}-${link.inode}`;
}

function newDirIndex(): DirIndex {
  return { groups: new Map(), secondaries: new Map(), longNames: new Map(), sorted: undefined };
}

function addSecondary(dir: DirIndex, link: TreeLink): void {
  const short = shortConflictName(link);
  let set = dir.secondaries.get(short);
  if (set === undefined) {
    set = new Set();
    dir.secondaries.set(short, set);
  }
  set.add(link);
  dir.longNames.set(longConflictName(link), link);
}

function removeSecondary(dir: DirIndex, link: TreeLink): void {
  const short = shortConflictName(link);
  const set = dir.secondaries.get(short);
  if (set === undefined || !set.delete(link)) throw new TypeError(`dir index lost secondary ${link.inode}`);
  if (set.size === 0) dir.secondaries.delete(short);
  dir.longNames.delete(longConflictName(link));
}

/** Index of the first link in `group` whose position is not before `link`'s (groups are short: usually 1). */
function searchGroup(group: readonly TreeLink[], link: TreeLink): number {
  let lo = 0;
  let hi = group.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCanonical(group[mid]!.pos, link.pos) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The link of a group shown under the plain name. */
function firstOf(group: TreeLink | TreeLink[]): TreeLink {
  return Array.isArray(group) ? group[0]! : group;
}

export function indexLink(state: NamespaceState, link: TreeLink): void {
  let dir = state.dirs.get(link.parent);
  if (dir === undefined) {
    dir = newDirIndex();
    state.dirs.set(link.parent, dir);
  }
  dir.sorted = undefined;
  const existing = dir.groups.get(link.name);
  if (existing === undefined) {
    // Most names are held by one link: it stands for its group itself, without an array around it.
    dir.groups.set(link.name, link);
    return;
  }
  let group: TreeLink[];
  if (Array.isArray(existing)) group = existing;
  else {
    group = [existing];
    dir.groups.set(link.name, group);
  }
  const last = group[group.length - 1]!;
  const at = compareCanonical(last.pos, link.pos) < 0 ? group.length : searchGroup(group, link);
  if (at === 0) addSecondary(dir, group[0]!);
  else addSecondary(dir, link);
  group.splice(at, 0, link);
}

export function unindexLink(state: NamespaceState, link: TreeLink): void {
  const dir = state.dirs.get(link.parent);
  const group = dir?.groups.get(link.name);
  if (dir === undefined || group === undefined) throw new TypeError(`dir index lost ${link.inode}`);
  dir.sorted = undefined;
  if (!Array.isArray(group)) {
    if (group !== link) throw new TypeError(`dir index lost ${link.inode}`);
    dir.groups.delete(link.name);
    if (dir.groups.size === 0) state.dirs.delete(link.parent);
    return;
  }
  const at = searchGroup(group, link);
  if (group[at] !== link) throw new TypeError(`dir index lost ${link.inode}`);
  group.splice(at, 1);
  if (at === 0) removeSecondary(dir, group[0]!);
  else removeSecondary(dir, link);
  if (group.length === 1) dir.groups.set(link.name, group[0]!);
}

/** The name `link` is shown under in its directory. */
export function shownNameOf(state: NamespaceState, link: TreeLink): string {
  const dir = state.dirs.get(link.parent);
  const group = dir?.groups.get(link.name);
  if (dir === undefined || group === undefined) throw new TypeError(`dir index lost ${link.inode}`);
  if (firstOf(group) === link) return link.name;
  return secondaryName(dir, link);
}

function secondaryName(dir: DirIndex, link: TreeLink): string {
  const short = shortConflictName(link);
  const wanting = dir.secondaries.get(short);
  return wanting !== undefined && wanting.size === 1 && !dir.groups.has(short)
    ? short
    : longConflictName(link);
}

/** The link shown as `name` in `parent`, whether or not its Create has arrived. */
export function linkByShownName(state: NamespaceState, parent: InodeId, name: string): TreeLink | undefined {
  const dir = state.dirs.get(parent);
  if (dir === undefined) return undefined;
  const group = dir.groups.get(name);
  // A plain name wins over a conflict name that happens to spell the same string.
  if (group !== undefined) return firstOf(group);
  const wanting = dir.secondaries.get(name);
  if (wanting !== undefined) return wanting.size === 1 ? wanting.values().next().value : undefined;
  const long = dir.longNames.get(name);
  if (long !== undefined && secondaryName(dir, long) === name) return long;
  return undefined;
}

/** Every child of `parent` with its shown name, in no particular order. */
export function* shownChildren(state: NamespaceState, parent: InodeId): Generator<[string, TreeLink]> {
  const dir = state.dirs.get(parent);
  if (dir === undefined) return;
  for (const [name, group] of dir.groups) yield [name, firstOf(group)];
  for (const set of dir.secondaries.values()) for (const link of set) yield [secondaryName(dir, link), link];
}

export function dirIndexOf(state: NamespaceState, parent: InodeId): DirIndex | undefined {
  return state.dirs.get(parent);
}
