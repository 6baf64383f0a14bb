import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE, type TgfsEvent, TRASH_INODE } from '../../../src/events/types.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import {
  childrenOf,
  isLive,
  liveCount,
  lookup,
  nodeOf,
  pathOf,
  resolvePath,
} from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { Author, inode, MACHINE_A, MACHINE_B } from './event-builders.js';
import { assertTreeInvariants } from './tree-invariants.js';

function fold(events: readonly TgfsEvent[]): NamespaceState {
  return events.reduce(evolve, initialNamespaceState());
}

describe('namespace tree', () => {
  test('root and trash exist before any event, and root is the only live node', () => {
    const state = initialNamespaceState();
    assert.equal(resolvePath(state, '/'), ROOT_INODE);
    assert.equal(isLive(state, ROOT_INODE), true);
    assert.equal(isLive(state, TRASH_INODE), false);
    assert.equal(nodeOf(state, ROOT_INODE)?.kind, 'dir');
    assert.deepEqual(childrenOf(state, ROOT_INODE), []);
    assert.equal(liveCount(state), 1);
  });

  test('created files and directories are found by path, lookup and listing', () => {
    const a = new Author(MACHINE_A);
    const state = fold([a.mkdir(inode(1), ROOT_INODE, 'docs'), a.touch(inode(2), inode(1), 'x.txt')]);
    assert.equal(resolvePath(state, '/docs/x.txt'), inode(2));
    assert.equal(lookup(state, inode(1), 'x.txt'), inode(2));
    assert.equal(pathOf(state, inode(2)), '/docs/x.txt');
    assert.deepEqual(childrenOf(state, ROOT_INODE), [['docs', inode(1)]]);
    assert.equal(nodeOf(state, inode(2))?.kind, 'file');
    assert.equal(liveCount(state), 3);
    assertTreeInvariants(state);
  });

  test('concurrent moves a→b and b→a resolve with the canonically later one skipped, in any delivery order', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const setup = [a.mkdir(inode(1), ROOT_INODE, 'a'), a.mkdir(inode(2), ROOT_INODE, 'b')];
    const aIntoB = a.move(inode(1), inode(2), 'a', 200);
    const bIntoA = b.move(inode(2), inode(1), 'b', 201);
    for (const order of [
      [...setup, aIntoB, bIntoA],
      [...setup, bIntoA, aIntoB],
      [bIntoA, aIntoB, ...setup],
    ]) {
      const state = fold(order);
      assert.equal(pathOf(state, inode(1)), '/b/a');
      assert.equal(pathOf(state, inode(2)), '/b');
      assert.equal(state.log.filter((e) => e.skipped).length, 1);
      assert.equal(state.log.find((e) => e.skipped)?.pos.author, MACHINE_B);
      assertTreeInvariants(state);
    }
  });

  test('an event arriving late is undone and redone into the same state as in-order delivery', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const events = [
      a.mkdir(inode(1), ROOT_INODE, 'd'),
      a.mkdir(inode(2), ROOT_INODE, 'e'),
      b.move(inode(2), inode(1), 'e2', 150),
      a.move(inode(1), inode(2), 'd2', 160),
      a.touch(inode(3), inode(1), 'f'),
      b.remove(inode(2), 170),
      a.move(inode(3), ROOT_INODE, 'f', 180),
    ];
    const inOrder = fold(events);
    // b's first move (position 150) arrives after everything else.
    const late = fold([...events.slice(0, 2), ...events.slice(3), events[2]!]);
    assert.equal(namespaceStateHash(late), namespaceStateHash(inOrder));
    assert.equal(pathOf(late, inode(2)), undefined);
    assert.equal(pathOf(late, inode(1)), '/d', 'd into e was skipped: e was already under d');
    assert.equal(late.log.filter((e) => e.skipped).length, 1);
    assert.equal(pathOf(late, inode(3)), '/f');
    assertTreeInvariants(late);
  });

  test('the same event delivered twice changes nothing', () => {
    const a = new Author(MACHINE_A);
    const events = [
      a.mkdir(inode(1), ROOT_INODE, 'd'),
      a.touch(inode(2), inode(1), 'f'),
      a.emit('Write', { inode: inode(2), sizeBytes: 1, inline: new Uint8Array([7]), mtimeMs: 9 }),
      a.move(inode(2), ROOT_INODE, 'g'),
      a.remove(inode(1)),
    ];
    const once = fold(events);
    const hash = namespaceStateHash(once);
    const logLength = once.log.length;
    const twice = fold([...events, ...events, events[1]!]);
    assert.equal(namespaceStateHash(twice), hash);
    assert.equal(twice.log.length, logLength);
  });

  test('delete moves a node to the trash under its name, where it can be listed and restored', () => {
    const a = new Author(MACHINE_A);
    const state = fold([
      a.mkdir(inode(1), ROOT_INODE, 'd'),
      a.touch(inode(2), inode(1), 'f'),
      a.remove(inode(1)),
    ]);
    assert.equal(resolvePath(state, '/d'), undefined);
    assert.equal(isLive(state, inode(1)), false);
    assert.equal(isLive(state, inode(2)), false, 'a deleted directory takes its subtree along');
    assert.deepEqual(childrenOf(state, TRASH_INODE), [['d', inode(1)]]);
    assert.equal(nodeOf(state, inode(2))?.name, 'f', 'a deleted node keeps its attributes for open handles');
    assert.equal(liveCount(state), 1);
    evolve(state, a.move(inode(1), ROOT_INODE, 'restored'));
    assert.equal(resolvePath(state, '/restored/f'), inode(2));
    assertTreeInvariants(state);
  });

  test('a move of a node whose Create has not arrived links it, and it shows once the Create arrives', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const create = a.touch(inode(1), ROOT_INODE, 'f', 100);
    const mkdir = a.mkdir(inode(2), ROOT_INODE, 'd', 101);
    const move = b.move(inode(1), inode(2), 'g', 150);
    const state = fold([mkdir, move]);
    assert.equal(resolvePath(state, '/d/g'), undefined, 'no Create yet: not visible');
    assert.deepEqual(childrenOf(state, inode(2)), []);
    assertTreeInvariants(state);
    evolve(state, create);
    assert.equal(resolvePath(state, '/d/g'), inode(1));
    assert.equal(namespaceStateHash(state), namespaceStateHash(fold([create, mkdir, move])));
    assertTreeInvariants(state);
  });

  test('root and trash cannot be moved or deleted', () => {
    const a = new Author(MACHINE_A);
    const state = fold([
      a.mkdir(inode(1), ROOT_INODE, 'd'),
      a.move(ROOT_INODE, inode(1), 'r'),
      a.remove(ROOT_INODE),
    ]);
    evolve(state, a.move(TRASH_INODE, ROOT_INODE, 'trash'));
    assert.equal(pathOf(state, ROOT_INODE), '/');
    assert.equal(resolvePath(state, '/d'), inode(1));
    assert.equal(resolvePath(state, '/trash'), undefined);
    assertTreeInvariants(state);
  });
});
