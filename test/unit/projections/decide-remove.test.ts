import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE } from '../../../src/events/types.js';
import { isLive } from '../../../src/projections/namespace/queries.js';
import { DEEP, DOCS, LINK, NOTE, NOW_MS, refused, standardTree, TOP, then, when } from './decide-fixtures.js';

describe('decide: unlink', () => {
  test('unlink of a file emits its Delete and moves the parent directory’s mtime', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'unlink', path: '/docs/note.txt', nowMs: NOW_MS }), [
      { type: 'Delete', body: { inode: NOTE, path: '/docs/note.txt' } },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
  });

  test('unlink of a symlink removes the link, not its target', () => {
    const { state, author } = standardTree();
    const commands = when(state, { kind: 'unlink', path: '/link', nowMs: NOW_MS });
    assert.deepEqual(commands[0], { type: 'Delete', body: { inode: LINK, path: '/link' } });
    const after = then(state, author, commands);
    assert.equal(isLive(after, LINK), false);
    assert.equal(isLive(after, TOP), true);
  });

  test('unlink of a directory, the root included, fails with IS_DIR', () => {
    const { state } = standardTree();
    for (const path of ['/empty', '/docs', '/'])
      refused(state, { kind: 'unlink', path, nowMs: NOW_MS }, 'IS_DIR');
  });

  test('unlink of a missing name, or below a file, fails with NOT_FOUND', () => {
    const { state } = standardTree();
    for (const path of ['/nope', '/docs/nope', '/top.txt/x'])
      refused(state, { kind: 'unlink', path, nowMs: NOW_MS }, 'NOT_FOUND');
  });
});

describe('decide: rmdir', () => {
  test('rmdir of an empty directory emits its Delete and moves the parent directory’s mtime', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'rmdir', path: '/docs/deep', nowMs: NOW_MS }), [
      { type: 'Delete', body: { inode: DEEP, path: '/docs/deep' } },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
    assert.deepEqual(when(state, { kind: 'rmdir', path: '/empty', nowMs: NOW_MS })[1], {
      type: 'SetAttr',
      body: { inode: ROOT_INODE, mtimeMs: NOW_MS, path: '/' },
    });
  });

  test('rmdir of a directory with entries fails with NOT_EMPTY', () => {
    const { state } = standardTree();
    refused(state, { kind: 'rmdir', path: '/docs', nowMs: NOW_MS }, 'NOT_EMPTY');
  });

  test('a directory whose entries were all removed can be removed', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, { kind: 'unlink', path: '/docs/note.txt', nowMs: NOW_MS }));
    then(state, author, when(state, { kind: 'rmdir', path: '/docs/deep', nowMs: NOW_MS }));
    const after = then(state, author, when(state, { kind: 'rmdir', path: '/docs', nowMs: NOW_MS }));
    assert.equal(isLive(after, DOCS), false);
  });

  test('rmdir of a file or a symlink fails with NOT_DIR', () => {
    const { state } = standardTree();
    for (const path of ['/top.txt', '/link'])
      refused(state, { kind: 'rmdir', path, nowMs: NOW_MS }, 'NOT_DIR');
  });

  test('the root directory cannot be removed: ACCESS_DENIED', () => {
    const { state } = standardTree();
    refused(state, { kind: 'rmdir', path: '/', nowMs: NOW_MS }, 'ACCESS_DENIED');
  });

  test('rmdir of a missing name fails with NOT_FOUND', () => {
    const { state } = standardTree();
    refused(state, { kind: 'rmdir', path: '/empty/nope', nowMs: NOW_MS }, 'NOT_FOUND');
  });
});
