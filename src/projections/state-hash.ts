/**
 * A digest of a namespace projection, equal on two replicas exactly when they show the same tree, trash,
 * attributes and content. Since the projection is a function of the set of events, replicas holding the same
 * events get the same hash whatever order the events arrived in; the convergence tests rely on this.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { NAMESPACE_STATE_HASH_TAG } from '../crypto/contexts.js';
import { type InodeId, ROOT_INODE } from '../events/types.js';
import { inlineBytes } from './namespace/attributes.js';
import { shownNameOf } from './namespace/dir-index.js';
import { entriesOf } from './namespace/queries.js';
import type { NamespaceState, Register } from './namespace/state.js';

export function namespaceStateHash(state: NamespaceState): string {
  const inodes = new Set<InodeId>([...state.links.keys(), ...state.attrs.keys(), ...state.entries.keys()]);
  const sorted = [...inodes].sort();
  const live = liveSet(state);
  const hash = sha256.create();
  hash.update(utf8ToBytes(NAMESPACE_STATE_HASH_TAG));
  for (const inode of sorted) hash.update(utf8ToBytes(JSON.stringify(record(state, inode, live)) + '\n'));
  return bytesToHex(hash.digest());
}

/**
 * One tree node or inode as plain JSON: fields in a fixed order, byte strings as hex, xattrs sorted, tombstones
 * left out. What schema 2 added (a device number, the inode a link entry names) is appended only where present,
 * so a state folded from schema 1 events hashes as it always did.
 */
function record(state: NamespaceState, inode: InodeId, live: ReadonlySet<InodeId>): unknown[] {
  const link = state.links.get(inode);
  const attrs = state.attrs.get(inode);
  const content = attrs?.content;
  const xattrs =
    attrs?.xattrs === undefined
      ? []
      : [...attrs.xattrs]
          .filter((entry): entry is [string, Register<Uint8Array>] => entry[1].value !== null)
          .map(([name, reg]) => [name, bytesToHex(reg.value)])
          .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  const fields = [
    inode,
    live.has(inode),
    link === undefined ? null : [link.parent, link.name, shownNameOf(state, link)],
    attrs?.created?.kind ?? null,
    attrs?.created?.target ?? null,
    attrs?.mode ?? null,
    attrs?.uid ?? null,
    attrs?.gid ?? null,
    attrs?.mtimeMs ?? null,
    attrs?.atimeMs ?? null,
    attrs?.ctimeMs ?? null,
    content === undefined
      ? null
      : [
          content.sizeBytes,
          content.inline === undefined ? null : bytesToHex(inlineBytes(content.inline)),
          content.extents === undefined
            ? null
            : content.extents.map((e) =>
                e.offsetBytes === undefined
                  ? [e.chunkId, e.lengthBytes]
                  : [e.chunkId, e.lengthBytes, e.offsetBytes],
              ),
        ],
    xattrs,
  ];
  const rdev = attrs?.created?.rdev;
  if (rdev !== undefined) fields.push(['rdev', rdev]);
  const target = state.entries.get(inode)?.value;
  if (target !== undefined) fields.push(['names', target]);
  return fields;
}

/** Live tree nodes and inodes by one walk from root (isLive per node would cost O(depth) each). */
function liveSet(state: NamespaceState): Set<InodeId> {
  const live = new Set<InodeId>([ROOT_INODE]);
  const stack: InodeId[] = [ROOT_INODE];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    for (const child of entriesOf(state, dir)) {
      const reached = live.has(child.inode);
      live.add(child.entry);
      live.add(child.inode);
      if (!reached) stack.push(child.inode);
    }
  }
  return live;
}
