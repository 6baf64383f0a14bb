import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE, type TgfsEvent } from '../../../src/events/types.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { nodeOf } from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { Author, inode, MACHINE_A, MACHINE_B } from './event-builders.js';

function fold(events: readonly TgfsEvent[]): NamespaceState {
  return events.reduce(evolve, initialNamespaceState());
}

/** Folds the events in every rotation and reversed, asserting one outcome, and returns it. */
function foldAnyOrder(events: readonly TgfsEvent[]): NamespaceState {
  const state = fold(events);
  const hash = namespaceStateHash(state);
  for (let i = 1; i < events.length; i++) {
    assert.equal(
      namespaceStateHash(fold([...events.slice(i), ...events.slice(0, i)])),
      hash,
      `rotation ${i}`,
    );
  }
  assert.equal(namespaceStateHash(fold([...events].reverse())), hash, 'reversed');
  return state;
}

describe('namespace attributes', () => {
  test('Create sets kind and ownership; a later SetAttr overrides mode, an earlier one does not', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const early = b.emit('SetAttr', { inode: inode(1), mode: 0o600, uid: 7 }, 99);
    const create = a.touch(inode(1), ROOT_INODE, 'f', 100);
    const late = b.emit('SetAttr', { inode: inode(1), mode: 0o640 }, 150);
    const node = nodeOf(foldAnyOrder([early, create, late]), inode(1));
    assert.equal(node?.kind, 'file');
    assert.equal(node?.mode, 0o640);
    assert.equal(node?.uid, 1, "the SetAttr sorting before the Create lost to the Create's uid");
  });

  test('the canonically last Write decides the content, whatever order Writes arrive in', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const node = nodeOf(
      foldAnyOrder([
        a.touch(inode(1), ROOT_INODE, 'f', 100),
        b.emit(
          'Write',
          {
            inode: inode(1),
            sizeBytes: 100_000,
            extents: [{ chunkId: 'c1', lengthBytes: 100_000 }],
            mtimeMs: 5_000,
          },
          300,
        ),
        a.emit(
          'Write',
          { inode: inode(1), sizeBytes: 2, inline: new Uint8Array([1, 2]), mtimeMs: 4_000 },
          200,
        ),
      ]),
      inode(1),
    );
    assert.equal(node?.sizeBytes, 100_000);
    assert.deepEqual(node?.extents, [{ chunkId: 'c1', lengthBytes: 100_000 }]);
    assert.equal(node?.inline, undefined);
    assert.equal(node?.mtimeMs, 5_000);
  });

  test('ctime is the wall time of the latest event touching the inode, a move included', () => {
    const a = new Author(MACHINE_A, 100);
    const state = foldAnyOrder([
      a.touch(inode(1), ROOT_INODE, 'f', 100),
      a.emit('Write', { inode: inode(1), sizeBytes: 0, inline: new Uint8Array(), mtimeMs: 1 }, 200),
      a.move(inode(1), ROOT_INODE, 'g', 300),
    ]);
    assert.equal(nodeOf(state, inode(1))?.ctimeMs, 300);
    assert.equal(nodeOf(state, inode(1))?.mtimeMs, 1);
  });

  test('xattrs are per-name registers; a removal is a tombstone that an earlier set cannot revive', () => {
    const a = new Author(MACHINE_A, 100);
    const b = new Author(MACHINE_B, 100);
    const state = foldAnyOrder([
      a.touch(inode(1), ROOT_INODE, 'f', 100),
      a.emit(
        'SetAttr',
        { inode: inode(1), xattrSet: { 'user.a': new Uint8Array([1]), 'user.b': new Uint8Array([2]) } },
        200,
      ),
      b.emit('SetAttr', { inode: inode(1), xattrRemove: ['user.a'] }, 300),
      a.emit('SetAttr', { inode: inode(1), xattrSet: { 'user.b': new Uint8Array([3]) } }, 250),
    ]);
    assert.deepEqual([...(nodeOf(state, inode(1))?.xattrs ?? [])], [['user.b', new Uint8Array([3])]]);
  });

  test('a symlink reports its target and its length as size', () => {
    const a = new Author(MACHINE_A);
    const state = fold([
      a.emit('Create', {
        inode: inode(1),
        parent: ROOT_INODE,
        name: 'l',
        kind: 'symlink',
        target: '../héllo',
        mode: 0o777,
        uid: 0,
        gid: 0,
        mtimeMs: 1,
      }),
    ]);
    assert.equal(nodeOf(state, inode(1))?.target, '../héllo');
    assert.equal(nodeOf(state, inode(1))?.sizeBytes, 9);
  });

  test('the state hash tells different content apart', () => {
    const a = new Author(MACHINE_A);
    const create = a.touch(inode(1), ROOT_INODE, 'f');
    const one = fold([
      create,
      a.emit('Write', { inode: inode(1), sizeBytes: 1, inline: new Uint8Array([1]), mtimeMs: 1 }),
    ]);
    const b = new Author(MACHINE_A);
    b.touch(inode(1), ROOT_INODE, 'f');
    const two = fold([
      create,
      b.emit('Write', { inode: inode(1), sizeBytes: 1, inline: new Uint8Array([2]), mtimeMs: 1 }),
    ]);
    assert.notEqual(namespaceStateHash(one), namespaceStateHash(two));
  });
});
