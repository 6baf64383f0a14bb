import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TgfsError } from '../../../src/errors.js';
import { type InodeId, ROOT_INODE } from '../../../src/events/types.js';
import { decide } from '../../../src/projections/decide/decide.js';
import type { FsRequest } from '../../../src/projections/decide/fs-request.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/projections/namespace/checkpoint.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { isLive, linkCount, nodeOf, resolvePath } from '../../../src/projections/namespace/queries.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { Author, inode, MACHINE_A, MACHINE_B } from './event-builders.js';
import { assertTreeInvariants } from './tree-invariants.js';

const PATHS = ['/a', '/b', '/c', '/d/a', '/d/b', '/d/e/a'];
const DIRS = ['/d', '/d/e'];

type Op =
  | { readonly t: 'create'; readonly path: number }
  | { readonly t: 'link'; readonly from: number; readonly to: number }
  | { readonly t: 'unlink'; readonly path: number }
  | { readonly t: 'rename'; readonly from: number; readonly to: number }
  | { readonly t: 'write'; readonly path: number; readonly byte: number };

const path = fc.nat(PATHS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('create' as const), path }),
  fc.record({ t: fc.constant('link' as const), from: path, to: path }),
  fc.record({ t: fc.constant('link' as const), from: path, to: path }),
  fc.record({ t: fc.constant('unlink' as const), path }),
  fc.record({ t: fc.constant('rename' as const), from: path, to: path }),
  fc.record({ t: fc.constant('write' as const), path, byte: fc.nat(255) }),
);

/**
 * One machine's calls through decide against a model of POSIX hard links: a map from path to the file it
 * names. After every call the tree shows the model's names, each file's link count is its number of names, its
 * content is the same through all of them, and a file whose last name went is not live any more.
 */
function runAgainstModel(ops: readonly Op[]): void {
  const author = new Author(MACHINE_A);
  let state: NamespaceState = initialNamespaceState();
  let ids = 0;
  const commit = (request: FsRequest): boolean => {
    let commands: ReturnType<typeof decide>;
    try {
      commands = decide(state, request);
    } catch (err) {
      if (err instanceof TgfsError) return false;
      throw err;
    }
    for (const c of commands) state = evolve(state, author.emit(c.type, c.body as never));
    return true;
  };
  for (const dir of DIRS)
    commit({ kind: 'mkdir', path: dir, inode: inode(++ids), mode: 0o755, uid: 1, gid: 1, nowMs: 1 });

  const model = new Map<string, InodeId>();
  const content = new Map<InodeId, number>();
  const everCreated = new Set<InodeId>();
  for (const op of ops) {
    switch (op.t) {
      case 'create': {
        const p = PATHS[op.path]!;
        const id = inode(++ids);
        const ok = commit({ kind: 'create', path: p, inode: id, mode: 0o644, uid: 1, gid: 1, nowMs: 2 });
        assert.equal(ok, !model.has(p), `create ${p}`);
        if (ok) {
          model.set(p, id);
          everCreated.add(id);
        }
        break;
      }
      case 'link': {
        const from = PATHS[op.from]!;
        const to = PATHS[op.to]!;
        const ok = commit({ kind: 'link', existing: from, path: to, entry: inode(++ids), nowMs: 3 });
        assert.equal(ok, model.has(from) && !model.has(to), `link ${from} ${to}`);
        if (ok) model.set(to, model.get(from)!);
        break;
      }
      case 'unlink': {
        const p = PATHS[op.path]!;
        assert.equal(commit({ kind: 'unlink', path: p, nowMs: 4 }), model.has(p), `unlink ${p}`);
        model.delete(p);
        break;
      }
      case 'rename': {
        const from = PATHS[op.from]!;
        const to = PATHS[op.to]!;
        const ok = commit({ kind: 'rename', from, to, nowMs: 5 });
        assert.equal(ok, model.has(from), `rename ${from} ${to}`);
        // rename(2) between two names of one file does nothing.
        if (ok && model.get(from) !== model.get(to)) {
          model.set(to, model.get(from)!);
          model.delete(from);
        }
        break;
      }
      case 'write': {
        const id = model.get(PATHS[op.path]!);
        if (id === undefined) break;
        state = evolve(
          state,
          author.emit('Write', { inode: id, sizeBytes: 1, inline: Uint8Array.of(op.byte), mtimeMs: 6 }),
        );
        content.set(id, op.byte);
        break;
      }
    }
    for (const p of PATHS)
      assert.equal(resolvePath(state, p), model.get(p), `${p} after ${JSON.stringify(op)}`);
    const names = new Map<InodeId, number>();
    for (const id of model.values()) names.set(id, (names.get(id) ?? 0) + 1);
    for (const id of everCreated) {
      assert.equal(linkCount(state, id), names.get(id) ?? 0, `nlink of ${id}`);
      assert.equal(isLive(state, id), names.has(id), `${id} live exactly while it has a name`);
      const byte = content.get(id);
      if (byte !== undefined)
        assert.equal(nodeOf(state, id)?.inline?.[0], byte, 'content shared by all names');
    }
    assertTreeInvariants(state);
  }
  assert.equal(namespaceStateHash(decodeCheckpoint(encodeCheckpoint(state))), namespaceStateHash(state));
}

describe('hard links', () => {
  test('a history of creates, links, unlinks, renames and writes matches the POSIX model after every call', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), runAgainstModel), { numRuns: 300 });
  });

  test('a Link delivered before the Create of its inode shows once the inode exists', () => {
    const a = new Author(MACHINE_A);
    const b = new Author(MACHINE_B, 2_000);
    const create = a.touch(inode(1), ROOT_INODE, 'f');
    const link = b.link(inode(2), inode(1), ROOT_INODE, 'g');
    const state = evolve(initialNamespaceState(), link);
    assert.equal(resolvePath(state, '/g'), undefined, 'no name for an inode that does not exist yet');
    evolve(state, create);
    assert.equal(resolvePath(state, '/g'), inode(1));
    assert.equal(linkCount(state, inode(1)), 2);
    assertTreeInvariants(state);
  });

  test('a Link naming a directory is never shown: a directory has one name', () => {
    const a = new Author(MACHINE_A);
    const state = [a.mkdir(inode(1), ROOT_INODE, 'd'), a.link(inode(2), inode(1), ROOT_INODE, 'e')].reduce(
      evolve,
      initialNamespaceState(),
    );
    assert.equal(resolvePath(state, '/e'), undefined);
    assert.equal(resolvePath(state, '/d'), inode(1));
    assertTreeInvariants(state);
  });

  test('a Move or Delete of a link entry delivered before its Link folds to the same state', () => {
    const a = new Author(MACHINE_A);
    const events = [
      a.touch(inode(1), ROOT_INODE, 'f'),
      a.link(inode(2), inode(1), ROOT_INODE, 'g'),
      a.emit('Move', { inode: inode(1), entry: inode(2), parent: ROOT_INODE, name: 'h' }),
      a.emit('Delete', { inode: inode(1) }),
    ];
    const forward = events.reduce(evolve, initialNamespaceState());
    const backward = [...events].reverse().reduce(evolve, initialNamespaceState());
    assert.equal(namespaceStateHash(backward), namespaceStateHash(forward));
    assert.equal(resolvePath(forward, '/h'), inode(1));
    assert.equal(resolvePath(forward, '/f'), undefined);
    assert.equal(nodeOf(forward, inode(1))?.name, 'h');
    assertTreeInvariants(backward);
  });
});
