import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE } from '../../../src/events/types.js';
import type { FsRequest } from '../../../src/projections/decide/fs-request.js';
import { isLive, resolvePath } from '../../../src/projections/namespace/queries.js';
import {
  DEEP,
  DOCS,
  EMPTY,
  NOTE,
  NOW_MS,
  refused,
  standardTree,
  TOP,
  then,
  when,
} from './decide-fixtures.js';

const rename = (from: string, to: string): FsRequest => ({ kind: 'rename', from, to, nowMs: NOW_MS });

describe('decide: rename', () => {
  test('a rename within one directory emits the Move and touches that directory once', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, rename('/docs/note.txt', '/docs/renamed.txt')), [
      { type: 'Move', body: { inode: NOTE, parent: DOCS, name: 'renamed.txt', path: '/docs/renamed.txt' } },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
  });

  test('a move to another directory touches the new parent and then the old one', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, rename('/docs/note.txt', '/empty/note.txt')), [
      { type: 'Move', body: { inode: NOTE, parent: EMPTY, name: 'note.txt', path: '/empty/note.txt' } },
      { type: 'SetAttr', body: { inode: EMPTY, mtimeMs: NOW_MS, path: '/empty' } },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
  });

  test('a rename over an existing file deletes it in the same command list, before the move', () => {
    const { state, author } = standardTree();
    const commands = when(state, rename('/docs/note.txt', '/top.txt'));
    assert.deepEqual(commands, [
      { type: 'Delete', body: { inode: TOP, path: '/top.txt' } },
      { type: 'Move', body: { inode: NOTE, parent: ROOT_INODE, name: 'top.txt', path: '/top.txt' } },
      { type: 'SetAttr', body: { inode: ROOT_INODE, mtimeMs: NOW_MS, path: '/' } },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
    const after = then(state, author, commands);
    assert.equal(resolvePath(after, '/top.txt'), NOTE);
    assert.equal(isLive(after, TOP), false);
  });

  test('a directory replaces an empty directory', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, rename('/docs/deep', '/empty')).slice(0, 2), [
      { type: 'Delete', body: { inode: EMPTY, path: '/empty' } },
      { type: 'Move', body: { inode: DEEP, parent: ROOT_INODE, name: 'empty', path: '/empty' } },
    ]);
  });

  test('a rename onto itself is a no-op: no commands', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, rename('/top.txt', '/top.txt')), []);
    assert.deepEqual(when(state, rename('/docs', '/docs')), []);
  });

  test('a directory over a non-empty directory fails with NOT_EMPTY', () => {
    const { state } = standardTree();
    refused(state, rename('/empty', '/docs'), 'NOT_EMPTY');
  });

  test('a file over a directory fails with IS_DIR', () => {
    const { state } = standardTree();
    refused(state, rename('/top.txt', '/empty'), 'IS_DIR');
    refused(state, rename('/link', '/docs/deep'), 'IS_DIR');
  });

  test('a directory over a file or symlink fails with NOT_DIR', () => {
    const { state } = standardTree();
    refused(state, rename('/empty', '/top.txt'), 'NOT_DIR');
    refused(state, rename('/empty', '/link'), 'NOT_DIR');
  });

  test('moving a directory into itself or below itself fails with INVALID_ARGUMENT', () => {
    const { state } = standardTree();
    refused(state, rename('/docs', '/docs/inside'), 'INVALID_ARGUMENT');
    refused(state, rename('/docs', '/docs/deep/inside'), 'INVALID_ARGUMENT');
  });

  test('a directory may move to a sibling whose name starts with its own: only real descendants are a cycle', () => {
    const { state } = standardTree();
    assert.equal(when(state, rename('/docs/deep', '/docs/deeper')).length, 2);
  });

  test('the root directory cannot be moved: INVALID_ARGUMENT', () => {
    const { state } = standardTree();
    refused(state, rename('/', '/elsewhere'), 'INVALID_ARGUMENT');
  });

  test('a missing source or target directory fails with NOT_FOUND', () => {
    const { state } = standardTree();
    refused(state, rename('/nope', '/x'), 'NOT_FOUND');
    refused(state, rename('/top.txt', '/nope/x'), 'NOT_FOUND');
  });

  test('a target whose parent is a file fails with NOT_DIR', () => {
    const { state } = standardTree();
    refused(state, rename('/docs/note.txt', '/top.txt/x'), 'NOT_DIR');
  });

  test('a target name that is too long or invalid is refused', () => {
    const { state } = standardTree();
    refused(state, rename('/top.txt', `/${'n'.repeat(256)}`), 'NAME_TOO_LONG');
    refused(state, rename('/top.txt', '/docs/..'), 'INVALID_ARGUMENT');
    refused(state, rename('/top.txt', '/docs/'), 'INVALID_ARGUMENT');
  });

  test('the cycle check comes before the target checks: a directory into its own non-empty child', () => {
    const { state } = standardTree();
    refused(state, rename('/docs', '/docs/note.txt'), 'INVALID_ARGUMENT');
  });
});
