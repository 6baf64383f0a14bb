/** Structural checks every namespace state must pass, whatever events it was given. */
import assert from 'node:assert/strict';
import { type InodeId, ROOT_INODE, TRASH_INODE } from '../../../src/events/types.js';
import {
  entriesOf,
  isLive,
  linkCount,
  liveCount,
  lookup,
  lookupName,
  nodeOf,
  pathOf,
  resolvePath,
} from '../../../src/projections/namespace/queries.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';

export function assertTreeInvariants(state: NamespaceState): void {
  // One root: root and trash hang from nothing, every other linked node has a parent.
  assert.equal(state.links.has(ROOT_INODE), false, 'root has a parent');
  assert.equal(state.links.has(TRASH_INODE), false, 'trash has a parent');

  // No cycles: every parent chain ends within (number of links) steps.
  const limit = state.links.size + 2;
  for (const start of state.links.keys()) {
    let current: InodeId | undefined = start;
    let steps = 0;
    while (current !== undefined) {
      current = state.links.get(current)?.parent;
      steps++;
      assert.ok(steps <= limit, `cycle through ${start}`);
    }
  }

  // Reachability: walking the listings from root finds every live name once, under unique names; an inode is
  // reached once per name (a hard-linked file several times, a directory exactly once).
  const reachedNames = new Set<InodeId>([ROOT_INODE]);
  const namesPerInode = new Map<InodeId, number>([[ROOT_INODE, 1]]);
  const stack: InodeId[] = [ROOT_INODE];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    const children = entriesOf(state, dir);
    const names = children.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, `duplicate shown names in ${dir}: ${names.join(',')}`);
    assert.deepEqual([...names].sort(), names, 'listings are sorted');
    for (const { name, entry, inode } of children) {
      assert.equal(lookup(state, dir, name), inode, `lookup(${dir}, ${name})`);
      assert.equal(lookupName(state, dir, name)?.inode, entry, `lookupName(${dir}, ${name})`);
      const node = nodeOf(state, inode);
      assert.ok(node !== undefined, `${inode} listed without attributes`);
      if (entry === inode && state.linksOf.get(inode) === undefined) {
        assert.equal(node.name, name, 'nodeOf shows the listed name');
        assert.equal(node.parent, dir, 'nodeOf shows the listing parent');
      }
      assert.ok(!reachedNames.has(entry), `${entry} reached twice`);
      reachedNames.add(entry);
      const seen = namesPerInode.get(inode) ?? 0;
      namesPerInode.set(inode, seen + 1);
      if (node.kind === 'dir') {
        assert.equal(entry, inode, `directory ${inode} listed under a hard link`);
        stack.push(inode);
      } else if (seen === 0) stack.push(inode);
    }
  }
  const liveNames = [ROOT_INODE, ...state.links.keys()].filter((n) => reachedNames.has(n));
  assert.equal(liveCount(state), liveNames.length, 'liveCount counts the live names');

  // Every inode is reachable exactly when it is live, and its link count is its number of reachable names.
  const inodes = new Set<InodeId>([ROOT_INODE, ...state.attrs.keys()]);
  for (const reg of state.entries.values()) inodes.add(reg.value);
  for (const inode of inodes) {
    const names = namesPerInode.get(inode) ?? 0;
    assert.equal(isLive(state, inode), names > 0, `isLive(${inode}) against reachability`);
    const kind = nodeOf(state, inode)?.kind;
    if (kind !== undefined && kind !== 'dir')
      assert.equal(linkCount(state, inode), names, `nlink of ${inode}`);
    if (names === 0) {
      assert.equal(pathOf(state, inode), undefined, `unreachable ${inode} has a path`);
      continue;
    }
    const path = pathOf(state, inode);
    assert.ok(path !== undefined, `live ${inode} has no path`);
    assert.equal(resolvePath(state, path), inode, `resolvePath(pathOf(${inode}))`);
  }
}
