import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE } from '../../../src/events/types.js';
import {
  isLive,
  linkCount,
  lookup,
  nodeOf,
  resolvePath,
} from '../../../src/projections/namespace/queries.js';
import {
  DEEP,
  DOCS,
  LINK,
  NEW,
  NOTE,
  NOW_MS,
  refused,
  standardTree,
  TOP,
  then,
  when,
} from './decide-fixtures.js';

const link = (existing: string, path: string) => ({
  kind: 'link' as const,
  existing,
  path,
  entry: NEW,
  nowMs: NOW_MS,
});

describe('decide: link', () => {
  test('link of a file emits one Link naming its inode from the new name, and moves the new parent’s mtime', () => {
    const { state } = standardTree();
    assert.deepEqual(when(state, link('/top.txt', '/docs/again.txt')), [
      {
        type: 'Link',
        body: { entry: NEW, inode: TOP, parent: DOCS, name: 'again.txt', path: '/docs/again.txt' },
      },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
  });

  test('after a link both names show one inode, with two links, and the old name is unchanged', () => {
    const { state, author } = standardTree();
    const after = then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    assert.equal(resolvePath(after, '/docs/again.txt'), TOP);
    assert.equal(resolvePath(after, '/top.txt'), TOP);
    assert.equal(linkCount(after, TOP), 2);
    assert.equal(nodeOf(after, TOP)?.name, 'top.txt');
    assert.equal(nodeOf(after, TOP)?.ctimeMs, author.wallMs - 1, 'the Link moved the inode’s ctime');
  });

  test('a symlink can be hard-linked itself (link(2) does not follow it)', () => {
    const { state } = standardTree();
    const [command] = when(state, link('/link', '/link2'));
    assert.ok(command?.type === 'Link');
    assert.equal(command.body.inode, LINK);
  });

  test('linking a directory, the root included, fails with NOT_PERMITTED', () => {
    const { state } = standardTree();
    refused(state, link('/docs', '/docs2'), 'NOT_PERMITTED');
    refused(state, link('/', '/root2'), 'NOT_PERMITTED');
  });

  test('a new name that is taken fails with EXISTS, before the directory check (the kernel’s order)', () => {
    const { state } = standardTree();
    refused(state, link('/top.txt', '/docs/note.txt'), 'EXISTS');
    refused(state, link('/top.txt', '/top.txt'), 'EXISTS');
    refused(state, link('/docs', '/empty'), 'EXISTS');
  });

  test('a missing source or a missing directory for the new name fails with NOT_FOUND', () => {
    const { state } = standardTree();
    refused(state, link('/nope', '/x'), 'NOT_FOUND');
    refused(state, link('/top.txt', '/nope/x'), 'NOT_FOUND');
  });

  test('a new name under a file is NOT_DIR; an over-long one is NAME_TOO_LONG', () => {
    const { state } = standardTree();
    refused(state, link('/top.txt', '/docs/note.txt/x'), 'NOT_DIR');
    refused(state, link('/top.txt', `/${'a'.repeat(256)}`), 'NAME_TOO_LONG');
    refused(state, link(`/${'a'.repeat(256)}`, '/x'), 'NAME_TOO_LONG');
  });
});

describe('decide: unlink and rename of hard links', () => {
  test('unlink of a hard link deletes that name (its entry) and leaves the inode with its other name', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    const commands = when(state, { kind: 'unlink', path: '/docs/again.txt', nowMs: NOW_MS });
    assert.deepEqual(commands, [
      { type: 'Delete', body: { inode: TOP, entry: NEW, path: '/docs/again.txt' } },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
    const after = then(state, author, commands);
    assert.equal(linkCount(after, TOP), 1);
    assert.equal(resolvePath(after, '/top.txt'), TOP);
    assert.equal(lookup(after, DOCS, 'again.txt'), undefined);
  });

  test('unlink of the first name leaves the inode under the link; unlink of the last one frees it', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    then(state, author, when(state, { kind: 'unlink', path: '/top.txt', nowMs: NOW_MS }));
    assert.equal(isLive(state, TOP), true);
    assert.equal(linkCount(state, TOP), 1);
    assert.equal(nodeOf(state, TOP)?.name, 'again.txt', 'the inode is reported under its remaining name');
    assert.equal(nodeOf(state, TOP)?.xattrs.get('user.tag')?.[0], 7, 'attributes stay with the inode');
    then(state, author, when(state, { kind: 'unlink', path: '/docs/again.txt', nowMs: NOW_MS }));
    assert.equal(isLive(state, TOP), false);
    assert.equal(linkCount(state, TOP), 0);
    assert.ok(nodeOf(state, TOP) !== undefined, 'an open file may outlive its names');
  });

  test('rename of a hard link moves that name only', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    const commands = when(state, {
      kind: 'rename',
      from: '/docs/again.txt',
      to: '/docs/deep/moved',
      nowMs: NOW_MS,
    });
    assert.deepEqual(commands[0], {
      type: 'Move',
      body: { inode: TOP, entry: NEW, parent: DEEP, name: 'moved', path: '/docs/deep/moved' },
    });
    then(state, author, commands);
    assert.equal(resolvePath(state, '/docs/deep/moved'), TOP);
    assert.equal(resolvePath(state, '/top.txt'), TOP);
    assert.equal(resolvePath(state, '/docs/again.txt'), undefined);
    assert.equal(linkCount(state, TOP), 2);
  });

  test('rename onto another name of the same inode does nothing, as rename(2) says', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    assert.deepEqual(
      when(state, { kind: 'rename', from: '/top.txt', to: '/docs/again.txt', nowMs: NOW_MS }),
      [],
    );
  });

  test('rename over a hard link replaces that name only: the inode keeps its other one', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    const commands = when(state, {
      kind: 'rename',
      from: '/docs/note.txt',
      to: '/docs/again.txt',
      nowMs: NOW_MS,
    });
    assert.deepEqual(commands[0], {
      type: 'Delete',
      body: { inode: TOP, entry: NEW, path: '/docs/again.txt' },
    });
    then(state, author, commands);
    assert.equal(resolvePath(state, '/docs/again.txt'), NOTE);
    assert.equal(linkCount(state, TOP), 1);
    assert.equal(resolvePath(state, '/top.txt'), TOP);
  });

  test('a directory holding only a hard link is not empty', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/deep/again.txt')));
    refused(state, { kind: 'rmdir', path: '/docs/deep', nowMs: NOW_MS }, 'NOT_EMPTY');
  });

  test('a file is reported under its own name at the root, whatever its links', () => {
    const { state, author } = standardTree();
    then(state, author, when(state, link('/top.txt', '/docs/again.txt')));
    assert.equal(nodeOf(state, TOP)?.parent, ROOT_INODE);
  });
});

describe('decide: mknod', () => {
  const mknod = (path: string, fileType: 'fifo' | 'chardev' | 'blockdev' | 'socket', rdev = 0) => ({
    kind: 'mknod' as const,
    path,
    fileType,
    mode: 0o644,
    rdev,
    inode: NEW,
    uid: 1000,
    gid: 100,
    nowMs: NOW_MS,
  });

  test('a device node is a Create of its kind carrying the device number', () => {
    const { state } = standardTree();
    const commands = when(state, mknod('/null', 'chardev', 0x103));
    assert.deepEqual(commands[0], {
      type: 'Create',
      body: {
        inode: NEW,
        parent: ROOT_INODE,
        name: 'null',
        kind: 'chardev',
        mode: 0o644,
        uid: 1000,
        gid: 100,
        mtimeMs: NOW_MS,
        path: '/null',
        rdev: 0x103,
      },
    });
  });

  test('a FIFO or socket carries no device number, and a taken name is EXISTS', () => {
    const { state, author } = standardTree();
    const commands = when(state, mknod('/docs/pipe', 'fifo', 77));
    assert.equal('rdev' in (commands[0]?.body ?? {}), false);
    then(state, author, commands);
    assert.equal(nodeOf(state, NEW)?.kind, 'fifo');
    assert.equal(nodeOf(state, NEW)?.rdev, 0);
    refused(state, mknod('/docs/pipe', 'socket'), 'EXISTS');
  });
});
