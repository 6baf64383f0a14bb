import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT_INODE } from '../../../src/events/types.js';
import { lookup, nodeOf } from '../../../src/projections/namespace/queries.js';
import { DOCS, given, NEW, NOW_MS, refused, standardTree, TOP, then, when } from './decide-fixtures.js';
import { Author, inode, MACHINE_A } from './event-builders.js';

const owner = { uid: 1000, gid: 100 };

describe('decide: create, mkdir, symlink', () => {
  test('create of a free name emits one Create and moves the parent directory’s mtime', () => {
    const { state } = standardTree();
    const commands = when(state, {
      kind: 'create',
      path: '/docs/new.txt',
      inode: NEW,
      mode: 0o644,
      ...owner,
      nowMs: NOW_MS,
    });
    assert.deepEqual(commands, [
      {
        type: 'Create',
        body: {
          inode: NEW,
          parent: DOCS,
          name: 'new.txt',
          kind: 'file',
          mode: 0o644,
          uid: 1000,
          gid: 100,
          mtimeMs: NOW_MS,
          path: '/docs/new.txt',
        },
      },
      { type: 'SetAttr', body: { inode: DOCS, mtimeMs: NOW_MS, path: '/docs' } },
    ]);
  });

  test('the mode keeps only permission, setuid/setgid and sticky bits', () => {
    const { state } = standardTree();
    const [create] = when(state, {
      kind: 'create',
      path: '/a',
      inode: NEW,
      mode: 0o104755,
      ...owner,
      nowMs: NOW_MS,
    });
    assert.equal(create?.type === 'Create' && create.body.mode, 0o4755);
  });

  test('mkdir at the root creates a directory and touches the root', () => {
    const { state } = standardTree();
    assert.deepEqual(
      when(state, { kind: 'mkdir', path: '/photos', inode: NEW, mode: 0o755, ...owner, nowMs: NOW_MS }),
      [
        {
          type: 'Create',
          body: {
            inode: NEW,
            parent: ROOT_INODE,
            name: 'photos',
            kind: 'dir',
            mode: 0o755,
            uid: 1000,
            gid: 100,
            mtimeMs: NOW_MS,
            path: '/photos',
          },
        },
        { type: 'SetAttr', body: { inode: ROOT_INODE, mtimeMs: NOW_MS, path: '/' } },
      ],
    );
  });

  test('symlink creates a symlink with mode 0777 that carries its target', () => {
    const { state } = standardTree();
    const [create] = when(state, {
      kind: 'symlink',
      path: '/docs/to-top',
      target: '../top.txt',
      inode: NEW,
      ...owner,
      nowMs: NOW_MS,
    });
    assert.deepEqual(create, {
      type: 'Create',
      body: {
        inode: NEW,
        parent: DOCS,
        name: 'to-top',
        kind: 'symlink',
        mode: 0o777,
        uid: 1000,
        gid: 100,
        mtimeMs: NOW_MS,
        path: '/docs/to-top',
        target: '../top.txt',
      },
    });
  });

  test('the created entry is found at its path once the commands are folded', () => {
    const { state, author } = standardTree();
    const request = {
      kind: 'mkdir',
      path: '/docs/sub',
      inode: NEW,
      mode: 0o700,
      ...owner,
      nowMs: NOW_MS,
    } as const;
    const after = then(state, author, when(state, request));
    assert.equal(lookup(after, DOCS, 'sub'), NEW);
    assert.equal(nodeOf(after, NEW)?.kind, 'dir');
    assert.equal(nodeOf(after, DOCS)?.mtimeMs, NOW_MS);
  });

  for (const kind of ['create', 'mkdir'] as const) {
    test(`${kind} of a taken name (file or directory) fails with EXISTS`, () => {
      const { state } = standardTree();
      for (const path of ['/top.txt', '/docs', '/docs/note.txt', '/link']) {
        refused(state, { kind, path, inode: NEW, mode: 0o644, ...owner, nowMs: NOW_MS }, 'EXISTS');
      }
    });
  }

  test('symlink over a taken name fails with EXISTS', () => {
    const { state } = standardTree();
    refused(
      state,
      { kind: 'symlink', path: '/top.txt', target: 'x', inode: NEW, ...owner, nowMs: NOW_MS },
      'EXISTS',
    );
  });

  test('a name freed by a delete can be created again', () => {
    const a = new Author(MACHINE_A);
    const state = given([a.touch(inode(1), ROOT_INODE, 'f'), a.remove(inode(1))]);
    assert.equal(
      when(state, { kind: 'create', path: '/f', inode: NEW, mode: 0o644, ...owner, nowMs: NOW_MS }).length,
      2,
    );
  });

  test('a missing parent directory fails with NOT_FOUND', () => {
    const { state } = standardTree();
    refused(
      state,
      { kind: 'create', path: '/nope/f', inode: NEW, mode: 0o644, ...owner, nowMs: NOW_MS },
      'NOT_FOUND',
    );
  });

  test('a parent that is a file or a symlink fails with NOT_DIR', () => {
    const { state } = standardTree();
    for (const path of ['/top.txt/f', '/link/f']) {
      refused(state, { kind: 'mkdir', path, inode: NEW, mode: 0o755, ...owner, nowMs: NOW_MS }, 'NOT_DIR');
    }
  });

  test('a name of 255 bytes is accepted, one of 256 bytes fails with NAME_TOO_LONG, counted in UTF-8', () => {
    const { state } = standardTree();
    const create = (name: string) =>
      ({ kind: 'create', path: `/${name}`, inode: NEW, mode: 0o644, ...owner, nowMs: NOW_MS }) as const;
    assert.equal(when(state, create('a'.repeat(255))).length, 2);
    refused(state, create('a'.repeat(256)), 'NAME_TOO_LONG');
    // 128 two-byte characters: 128 UTF-16 code units, 256 bytes.
    refused(state, create('é'.repeat(128)), 'NAME_TOO_LONG');
  });

  test('the names "", "." and ".." fail with INVALID_ARGUMENT', () => {
    const { state } = standardTree();
    for (const path of ['/docs/', '/docs/.', '/docs/..']) {
      refused(
        state,
        { kind: 'mkdir', path, inode: NEW, mode: 0o755, ...owner, nowMs: NOW_MS },
        'INVALID_ARGUMENT',
      );
    }
  });

  test('creating the root itself fails: its name is empty', () => {
    const { state } = standardTree();
    refused(
      state,
      { kind: 'mkdir', path: '/', inode: NEW, mode: 0o755, ...owner, nowMs: NOW_MS },
      'INVALID_ARGUMENT',
    );
  });

  test('names are looked up as shown: a file under its plain name is taken even beside a same-named conflict', () => {
    const a = new Author(MACHINE_A);
    const state = given([a.touch(TOP, ROOT_INODE, 'same'), a.touch(inode(8), ROOT_INODE, 'same')]);
    refused(
      state,
      { kind: 'create', path: '/same', inode: NEW, mode: 0o644, ...owner, nowMs: NOW_MS },
      'EXISTS',
    );
  });
});
