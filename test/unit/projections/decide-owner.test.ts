import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ROOT_INODE } from '../../../src/events/types.js';
import type { CreateRequest } from '../../../src/projections/decide/fs-request.js';
import { nodeOf, resolvePath } from '../../../src/projections/namespace/queries.js';
import type { NamespaceState } from '../../../src/projections/namespace/state.js';
import type { Command } from '../../../src/projections/replica.js';
import { given, NEW, NOW_MS, then, when } from './decide-fixtures.js';
import { Author, inode, MACHINE_A } from './event-builders.js';

const S_ISGID = 0o2000;
/** The directory /shared: group 500, setgid; /plain: group 7, no setgid. Both made by uid 1. */
const SHARED = inode(1);
const PLAIN = inode(2);
const NOBODY = { uid: 65534, gid: 65534 };

function tree(author = new Author(MACHINE_A)): { state: NamespaceState; author: Author } {
  const state = given([
    author.mkdir(SHARED, ROOT_INODE, 'shared'),
    author.emit('SetAttr', { inode: SHARED, mode: 0o2775, gid: 500 }),
    author.mkdir(PLAIN, ROOT_INODE, 'plain'),
    author.emit('SetAttr', { inode: PLAIN, mode: 0o775, gid: 7 }),
  ]);
  return { state, author };
}

function created(commands: Command[]): { mode: number; uid: number; gid: number } {
  const [create] = commands;
  assert.ok(create?.type === 'Create');
  return { mode: create.body.mode, uid: create.body.uid, gid: create.body.gid };
}

const file = (path: string, caller = NOBODY): CreateRequest => ({
  kind: 'create',
  path,
  inode: NEW,
  mode: 0o644,
  ...caller,
  nowMs: NOW_MS,
});
const dir = (path: string, caller = NOBODY): CreateRequest => ({
  kind: 'mkdir',
  path,
  inode: NEW,
  mode: 0o755,
  ...caller,
  nowMs: NOW_MS,
});
const symlink = (path: string, caller = NOBODY): CreateRequest => ({
  kind: 'symlink',
  path,
  target: 'x',
  inode: NEW,
  ...caller,
  nowMs: NOW_MS,
});

describe('decide: the owner of a new inode', () => {
  test('a file, directory or symlink belongs to the calling uid and gid, not the parent’s owner', () => {
    const { state } = tree();
    assert.deepEqual(created(when(state, file('/plain/f'))), { mode: 0o644, uid: 65534, gid: 65534 });
    assert.deepEqual(created(when(state, dir('/plain/d'))), { mode: 0o755, uid: 65534, gid: 65534 });
    assert.deepEqual(created(when(state, symlink('/plain/l'))), { mode: 0o777, uid: 65534, gid: 65534 });
    assert.deepEqual(created(when(state, file('/top', { uid: 0, gid: 0 }))), { mode: 0o644, uid: 0, gid: 0 });
  });

  test('under a setgid directory a file and a symlink take the directory’s group, keeping their mode', () => {
    const { state } = tree();
    assert.deepEqual(created(when(state, file('/shared/f'))), { mode: 0o644, uid: 65534, gid: 500 });
    assert.deepEqual(created(when(state, symlink('/shared/l'))), { mode: 0o777, uid: 65534, gid: 500 });
  });

  test('a directory made under a setgid directory takes its group and is setgid itself', () => {
    const { state } = tree();
    assert.deepEqual(created(when(state, dir('/shared/d'))), { mode: 0o2755, uid: 65534, gid: 500 });
  });

  test('a setgid file asked for under a setgid directory keeps the bit the kernel let through', () => {
    const { state } = tree();
    const request = { ...file('/shared/tool'), mode: 0o2755 };
    assert.deepEqual(created(when(state, request)), { mode: 0o2755, uid: 65534, gid: 500 });
  });

  test('a parent whose stored gid is chown’s -1 (an earlier version’s) passes on the caller’s gid', () => {
    const a = new Author(MACHINE_A);
    const state = given([
      a.mkdir(SHARED, ROOT_INODE, 'old'),
      a.emit('SetAttr', { inode: SHARED, mode: 0o2775, gid: 0xffffffff }),
    ]);
    assert.deepEqual(created(when(state, file('/old/f'))), { mode: 0o644, uid: 65534, gid: 65534 });
  });

  test('setgid carries down: every inode made at any depth under a setgid directory, by anyone, has its group', () => {
    const caller = fc.record({
      uid: fc.integer({ min: 0, max: 70_000 }),
      gid: fc.integer({ min: 0, max: 70_000 }),
    });
    // Each step makes a directory or a file by some caller, inside one of the directories made so far.
    const step = fc.record({ dir: fc.boolean(), under: fc.nat(), caller });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const { state: start, author } = tree();
        let state = start;
        const dirs = ['/shared'];
        steps.forEach((s, i) => {
          const path = `${dirs[s.under % dirs.length]}/n${i}`;
          const request = { ...(s.dir ? dir(path, s.caller) : file(path, s.caller)), inode: inode(100 + i) };
          state = then(state, author, when(state, request));
          if (s.dir) dirs.push(path);
          const node = nodeOf(state, resolvePath(state, path) ?? '');
          assert.ok(node);
          assert.equal(node.uid, s.caller.uid);
          assert.equal(node.gid, 500);
          assert.equal((node.mode & S_ISGID) !== 0, s.dir);
        });
      }),
      { numRuns: 200 },
    );
  });
});
