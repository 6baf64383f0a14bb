import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE } from '../../../src/events/types.js';
import type { FsRequest } from '../../../src/projections/decide/fs-request.js';
import { nodeOf } from '../../../src/projections/namespace/queries.js';
import { DOCS, NOTE, refused, standardTree, TOP, then, when } from './decide-fixtures.js';

describe('decide: chmod, chown, utimens, setxattr, removexattr', () => {
  test('chmod emits one SetAttr of the permission bits', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'chmod', path: '/docs/note.txt', mode: 0o100600 }), [
      { type: 'SetAttr', body: { inode: NOTE, mode: 0o600, path: '/docs/note.txt' } },
    ]);
  });

  test('chown emits one SetAttr of owner and group', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'chown', path: '/docs', uid: 7, gid: 8 }), [
      { type: 'SetAttr', body: { inode: DOCS, uid: 7, gid: 8, path: '/docs' } },
    ]);
  });

  test('chown with -1 for an id leaves that id alone (chgrp, chown user:), and -1 for both emits nothing', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'chown', path: '/docs', uid: 0xffffffff, gid: 8 }), [
      { type: 'SetAttr', body: { inode: DOCS, gid: 8, path: '/docs' } },
    ]);
    assert.deepEqual(when(state, { kind: 'chown', path: '/docs', uid: 7, gid: -1 }), [
      { type: 'SetAttr', body: { inode: DOCS, uid: 7, path: '/docs' } },
    ]);
    assert.deepEqual(when(state, { kind: 'chown', path: '/docs', uid: -1, gid: 0xffffffff }), []);
  });

  test('a path with a component over 255 bytes is NAME_TOO_LONG, not NOT_FOUND', () => {
    const { state } = standardTree();
    refused(state, { kind: 'chmod', path: `/docs/${'a'.repeat(256)}`, mode: 0o644 }, 'NAME_TOO_LONG');
    refused(state, { kind: 'chmod', path: `/${'é'.repeat(128)}`, mode: 0o644 }, 'NAME_TOO_LONG');
    refused(state, { kind: 'chmod', path: `/${'a'.repeat(255)}`, mode: 0o644 }, 'NOT_FOUND');
    refused(state, { kind: 'chmod', path: `/${'d/'.repeat(2048)}x`, mode: 0o644 }, 'NAME_TOO_LONG');
  });

  test('utimens emits one SetAttr of both times', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'utimens', path: '/', atimeMs: 10, mtimeMs: 20 }), [
      { type: 'SetAttr', body: { inode: ROOT_INODE, atimeMs: 10, mtimeMs: 20, path: '/' } },
    ]);
  });

  test('setxattr emits one SetAttr that sets the named attribute', () => {
    const { state, author } = standardTree();
    const value = new Uint8Array([1, 2, 3]);
    const commands = when(state, { kind: 'setxattr', path: '/top.txt', name: 'user.colour', value });
    assert.deepEqual(commands, [
      { type: 'SetAttr', body: { inode: TOP, xattrSet: { 'user.colour': value }, path: '/top.txt' } },
    ]);
    assert.deepEqual(nodeOf(then(state, author, commands), TOP)?.xattrs.get('user.colour'), value);
  });

  test('removexattr of a present attribute emits one SetAttr that removes it', () => {
    const { state, author } = standardTree();
    const commands = when(state, { kind: 'removexattr', path: '/top.txt', name: 'user.tag' });
    assert.deepEqual(commands, [
      { type: 'SetAttr', body: { inode: TOP, xattrRemove: ['user.tag'], path: '/top.txt' } },
    ]);
    assert.equal(nodeOf(then(state, author, commands), TOP)?.xattrs.has('user.tag'), false);
  });

  test('removexattr of an absent attribute fails with NO_XATTR', () => {
    const { state } = standardTree();
    refused(state, { kind: 'removexattr', path: '/docs/note.txt', name: 'user.tag' }, 'NO_XATTR');
  });

  test('every attribute change on a missing path fails with NOT_FOUND', () => {
    const { state } = standardTree();
    const path = '/docs/nope';
    const requests: FsRequest[] = [
      { kind: 'chmod', path, mode: 0o644 },
      { kind: 'chown', path, uid: 1, gid: 1 },
      { kind: 'utimens', path, atimeMs: 1, mtimeMs: 1 },
      { kind: 'setxattr', path, name: 'user.a', value: new Uint8Array() },
      { kind: 'removexattr', path, name: 'user.a' },
    ];
    for (const request of requests) refused(state, request, 'NOT_FOUND');
  });
});

describe('decide: truncate', () => {
  test('truncate of a file passes its precondition and emits nothing itself', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, { kind: 'truncate', path: '/top.txt' }), []);
  });

  test('truncate of a directory fails with IS_DIR, of a missing path with NOT_FOUND', () => {
    const { state } = standardTree();
    refused(state, { kind: 'truncate', path: '/docs' }, 'IS_DIR');
    refused(state, { kind: 'truncate', path: '/nope' }, 'NOT_FOUND');
  });
});
