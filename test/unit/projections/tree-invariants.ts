/** Structural checks every namespace state must pass, whatever events it was given. */
import assert from 'node:assert/strict';
import { type InodeId, ROOT_INODE, TRASH_INODE } from '../../../src/events/types.js';
import {
  childrenOf,
  isLive,
  liveCount,
  lookup,
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

  // Reachability: walking childrenOf from root finds exactly the live nodes, each once, under unique names.
  const reached = new Set<InodeId>([ROOT_INODE]);
  const stack: InodeId[] = [ROOT_INODE];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    const children = childrenOf(state, dir);
    const names = children.map(([name]) => name);
    assert.equal(new Set(names).size, names.length, `duplicate shown names in ${dir}: ${names.join(',')}`);
    assert.deepEqual([...names].sort(), names, 'childrenOf is sorted');
    for (const [name, child] of children) {
      assert.equal(lookup(state, dir, name), child, `lookup(${dir}, ${name})`);
      assert.equal(nodeOf(state, child)?.name, name, 'nodeOf shows the listed name');
      assert.equal(nodeOf(state, child)?.parent, dir, 'nodeOf shows the listing parent');
      assert.ok(!reached.has(child), `${child} reached twice`);
      reached.add(child);
      stack.push(child);
    }
  }
  const live = [ROOT_INODE, ...state.links.keys()].filter((n) => isLive(state, n));
  assert.deepEqual(new Set(live), reached, 'live nodes are exactly those reachable from root');
  assert.equal(liveCount(state), reached.size);
  for (const node of reached) {
    const path = pathOf(state, node);
    assert.ok(path !== undefined);
    assert.equal(resolvePath(state, path), node, `resolvePath(pathOf(${node}))`);
  }
}
