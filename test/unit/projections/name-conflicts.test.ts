import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE, type TgfsEvent } from '../../../src/events/types.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import {
  childrenOf,
  lookup,
  nodeOf,
  pathOf,
  resolvePath,
} from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import { Author, inode, MACHINE_A, MACHINE_B, MACHINE_C } from './event-builders.js';
import { assertTreeInvariants } from './tree-invariants.js';

function fold(events: readonly TgfsEvent[]): NamespaceState {
  return events.reduce(evolve, initialNamespaceState());
}

describe('name conflicts', () => {
  test('two inodes created under one name are both kept; the canonical-later shows a conflict name', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const first = a.touch(inode(1), ROOT_INODE, 'notes.txt', 100);
    const second = b.touch(inode(2), ROOT_INODE, 'notes.txt', 101);
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const state = fold(order);
      assert.deepEqual(childrenOf(state, ROOT_INODE), [
        ['notes.txt', inode(1)],
        ['notes.txt.conflict-bbbbbbbb', inode(2)],
      ]);
      assert.equal(resolvePath(state, '/notes.txt.conflict-bbbbbbbb'), inode(2));
      assert.equal(nodeOf(state, inode(2))?.name, 'notes.txt.conflict-bbbbbbbb');
      assert.equal(pathOf(state, inode(2)), '/notes.txt.conflict-bbbbbbbb');
      assertTreeInvariants(state);
    }
  });

  test('when the name holder goes away the other inode takes the plain name', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const state = fold([a.touch(inode(1), ROOT_INODE, 'x', 100), b.touch(inode(2), ROOT_INODE, 'x', 101)]);
    evolve(state, a.remove(inode(1), 200));
    assert.deepEqual(childrenOf(state, ROOT_INODE), [['x', inode(2)]]);
    assert.equal(lookup(state, ROOT_INODE, 'x.conflict-bbbbbbbb'), undefined);
  });

  test('a moved-in inode is the later one and yields the name', () => {
    const a = new Author(MACHINE_A, 100);
    const c = new Author(MACHINE_C, 100);
    const state = fold([
      c.mkdir(inode(1), ROOT_INODE, 'd', 100),
      c.touch(inode(2), inode(1), 'y', 101),
      a.touch(inode(3), ROOT_INODE, 'y', 102),
      c.move(inode(2), ROOT_INODE, 'y', 103),
    ]);
    assert.equal(resolvePath(state, '/y'), inode(3));
    assert.equal(resolvePath(state, '/y.conflict-cccccccc'), inode(2));
  });

  test('when one author holds two conflicting inodes, both get a conflict name with the inode id', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const state = fold([
      a.touch(inode(1), ROOT_INODE, 'z', 100),
      b.touch(inode(2), ROOT_INODE, 'z', 101),
      b.touch(inode(3), ROOT_INODE, 'z', 102),
    ]);
    assert.deepEqual(childrenOf(state, ROOT_INODE), [
      ['z', inode(1)],
      [`z.conflict-bbbbbbbb-${inode(2)}`, inode(2)],
      [`z.conflict-bbbbbbbb-${inode(3)}`, inode(3)],
    ]);
    assert.equal(
      lookup(state, ROOT_INODE, 'z.conflict-bbbbbbbb'),
      undefined,
      'an ambiguous short name finds nothing',
    );
    assert.equal(lookup(state, ROOT_INODE, `z.conflict-bbbbbbbb-${inode(3)}`), inode(3));
    assertTreeInvariants(state);
  });

  test('a conflict name that a real file already has falls back to the long form', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const state = fold([
      a.touch(inode(1), ROOT_INODE, 'w', 100),
      a.touch(inode(4), ROOT_INODE, 'w.conflict-bbbbbbbb', 100),
      b.touch(inode(2), ROOT_INODE, 'w', 101),
    ]);
    assert.equal(resolvePath(state, '/w.conflict-bbbbbbbb'), inode(4));
    assert.equal(resolvePath(state, `/w.conflict-bbbbbbbb-${inode(2)}`), inode(2));
    assertTreeInvariants(state);
  });
});
