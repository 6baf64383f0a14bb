/** Given/when/then for `decide`: a state folded from events, a request, the commands or the error it gives. */
import assert from 'node:assert/strict';
import type { TgfsErrorCode } from '../../../src/errors.js';
import { ROOT_INODE, type TgfsEvent } from '../../../src/events/types.js';
import { decide } from '../../../src/projections/decide/decide.js';
import type { FsRequest } from '../../../src/projections/decide/fs-request.js';
import { evolve } from '../../../src/projections/namespace/evolve.js';
import { initialNamespaceState, type NamespaceState } from '../../../src/projections/namespace/state.js';
import type { Command } from '../../../src/projections/replica.js';
import { namespaceStateHash } from '../../../src/projections/state-hash.js';
import { Author, inode, MACHINE_A } from './event-builders.js';

export const NOW_MS = 1_700_000_000_000;
/** The id a request hands decide for a new inode. */
export const NEW = inode(99);

/** Inodes of the tree `standardTree` builds. */
export const DOCS = inode(1);
export const NOTE = inode(2);
export const EMPTY = inode(3);
export const TOP = inode(4);
export const LINK = inode(5);
export const DEEP = inode(6);

/** A state folded from events. */
export function given(events: readonly TgfsEvent[]): NamespaceState {
  return events.reduce(evolve, initialNamespaceState());
}

/**
 * /docs/note.txt, /docs/deep/ (empty), /empty/, /top.txt (with the xattr user.tag), /link → top.txt:
 * files, directories, empty and not, a symlink and an attribute to decide against.
 */
export function standardTree(author = new Author(MACHINE_A)): { state: NamespaceState; author: Author } {
  const events = [
    author.mkdir(DOCS, ROOT_INODE, 'docs'),
    author.touch(NOTE, DOCS, 'note.txt'),
    author.mkdir(DEEP, DOCS, 'deep'),
    author.mkdir(EMPTY, ROOT_INODE, 'empty'),
    author.touch(TOP, ROOT_INODE, 'top.txt'),
    author.emit('SetAttr', { inode: TOP, xattrSet: { 'user.tag': new Uint8Array([7]) } }),
    author.emit('Create', {
      inode: LINK,
      parent: ROOT_INODE,
      name: 'link',
      kind: 'symlink',
      mode: 0o777,
      uid: 1,
      gid: 1,
      mtimeMs: 5,
      target: 'top.txt',
    }),
  ];
  return { state: given(events), author };
}

/** The commands `request` gives against `state`; decide must not have changed the state it read. */
export function when(state: NamespaceState, request: FsRequest): Command[] {
  const before = namespaceStateHash(state);
  const commands = decide(state, request);
  assert.equal(namespaceStateHash(state), before, 'decide changed the state it was given');
  return commands;
}

/** Asserts that `request` fails with `code` against `state`. */
export function refused(state: NamespaceState, request: FsRequest, code: TgfsErrorCode): void {
  assert.throws(() => decide(state, request), { name: 'TgfsError', code });
}

/** The state after the commands are committed as events of `author` (folded into `state` itself). */
export function then(state: NamespaceState, author: Author, commands: readonly Command[]): NamespaceState {
  return commands.reduce((s, c) => evolve(s, author.emit(c.type, c.body as never)), state);
}
