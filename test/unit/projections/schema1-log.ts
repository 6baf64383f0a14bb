import { ROOT_INODE, type TgfsEvent } from '../../../src/events/types.js';
import { Author, inode, MACHINE_A, MACHINE_B } from './event-builders.js';

/**
 * A log written before hard links and special files existed (schema 1): creates, writes, attributes, moves,
 * deletes, a name conflict and a move that would make a cycle. Its state hash was computed by the build before
 * schema 2; a fold of the same events must give the same state, byte for byte, in any order.
 */
export function schema1Log(): TgfsEvent[] {
  const a = new Author(MACHINE_A);
  const b = new Author(MACHINE_B, 1_000);
  return [
    a.mkdir(inode(1), ROOT_INODE, 'docs'),
    a.touch(inode(2), inode(1), 'note.txt'),
    a.emit('Write', { inode: inode(2), sizeBytes: 3, inline: new Uint8Array([1, 2, 3]), mtimeMs: 7 }),
    a.mkdir(inode(3), inode(1), 'deep'),
    a.emit('Create', {
      inode: inode(4),
      parent: ROOT_INODE,
      name: 'link',
      kind: 'symlink',
      mode: 0o777,
      uid: 1,
      gid: 1,
      mtimeMs: 5,
      target: 'docs/note.txt',
    }),
    b.touch(inode(5), ROOT_INODE, 'link'),
    b.emit('Write', {
      inode: inode(5),
      sizeBytes: 70_000,
      extents: [{ chunkId: 'chunk1', lengthBytes: 70_000 }],
      mtimeMs: 9,
    }),
    a.emit('SetAttr', { inode: inode(2), mode: 0o600, xattrSet: { 'user.k': new Uint8Array([4]) } }),
    b.emit('SetAttr', { inode: inode(2), uid: 7, xattrRemove: ['user.k'], atimeMs: 11 }),
    a.move(inode(1), inode(3), 'cycle'),
    b.move(inode(2), ROOT_INODE, 'moved.txt'),
    a.remove(inode(4)),
    b.mkdir(inode(6), ROOT_INODE, 'docs'),
    a.move(inode(4), inode(6), 'back'),
  ];
}
