/**
 * A namespace projection as plain data, and back: what a checkpoint stores so that a restart folds only the
 * events that arrived since, instead of the whole log. The directory index is derived, so it is rebuilt rather
 * than stored. Pure: no I/O (the caller seals and stores the bytes).
 */
import { Encoder } from 'cbor-x';
import type { OrderPosition } from '../../events/canonical-order.js';
import { type Refusal, refusalKey } from '../policy/refusals.js';
import { indexLink } from './dir-index.js';
import { indexLinkEntries } from './hard-links.js';
import {
  type InodeAttrs,
  initialNamespaceState,
  type MoveLogEntry,
  type NamespaceState,
  type Register,
  type TreeLink,
} from './state.js';

// 2: refused events are part of the state. 3: hard-link entries (a version 2 checkpoint has none), and content
// extents may carry offsets (holes, event schema 2): a build that knows only 2 must replay rather than read them
// back to back. Version 2 is still read.
export const CHECKPOINT_VERSION = 3;
const READABLE_VERSIONS: readonly number[] = [2, CHECKPOINT_VERSION];

export interface NamespaceCheckpoint {
  readonly v: number;
  readonly links: TreeLink[];
  readonly log: MoveLogEntry[];
  /** Absent in version 2. */
  readonly entries?: Array<[string, Register<string>]>;
  readonly attrs: Array<
    [string, Omit<InodeAttrs, 'xattrs'> & { xattrs?: Array<[string, Register<Uint8Array | null>]> }]
  >;
  readonly seen: Array<[string, number, number[]]>;
  readonly refused: Refusal[];
}

export function checkpointOf(state: NamespaceState): NamespaceCheckpoint {
  return {
    v: CHECKPOINT_VERSION,
    links: [...state.links.values()],
    log: state.log,
    entries: [...state.entries],
    attrs: [...state.attrs].map(([inode, a]) => {
      const { xattrs, ...rest } = a;
      return [inode, xattrs === undefined ? rest : { ...rest, xattrs: [...xattrs] }];
    }),
    seen: [...state.seen].map(([author, s]) => [author, s.upTo, [...s.above]]),
    refused: [...state.refused.values()],
  };
}

export function stateFromCheckpoint(cp: NamespaceCheckpoint): NamespaceState {
  if (!READABLE_VERSIONS.includes(cp.v)) throw new TypeError(`namespace checkpoint version ${String(cp.v)}`);
  const state = initialNamespaceState();
  // The move log recognises a node's current link by the identity of its position object (the op that set the
  // link): links, and the old links kept for undo, share their op's position object again.
  const positions = new Map<string, OrderPosition>();
  const shared = (pos: OrderPosition): OrderPosition => positions.get(positionKey(pos)) ?? pos;
  for (const entry of cp.log) positions.set(positionKey(entry.pos), entry.pos);
  const relink = (link: TreeLink): TreeLink => ({
    inode: link.inode,
    parent: link.parent,
    name: link.name,
    pos: shared(link.pos),
  });
  for (const entry of cp.log)
    state.log.push({ ...entry, old: entry.old === undefined ? undefined : relink(entry.old) });
  for (const link of cp.links) {
    // One object in both the link map and the directory index: the index removes links by identity.
    const own = relink(link);
    state.links.set(own.inode, own);
    indexLink(state, own);
  }
  for (const [inode, a] of cp.attrs) {
    const { xattrs, ...rest } = a;
    const attrs: InodeAttrs = { ...rest, xattrs: xattrs === undefined ? undefined : new Map(xattrs) };
    state.attrs.set(inode, attrs);
  }
  for (const [entry, reg] of cp.entries ?? []) state.entries.set(entry, reg);
  indexLinkEntries(state);
  for (const [author, upTo, above] of cp.seen) state.seen.set(author, { upTo, above: new Set(above) });
  for (const r of cp.refused) state.refused.set(refusalKey(r.author, r.seq), r);
  state.treeVersion = 1;
  return state;
}

function positionKey(p: OrderPosition): string {
  return `${p.hlc.wallMs}:${p.hlc.counter}:${p.author}:${p.seq}`;
}

// Plain CBOR: arrays, maps with string keys, byte strings; no cbor-x records, so any decoder reads it.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

export function encodeCheckpoint(state: NamespaceState): Uint8Array {
  return cbor.encode(checkpointOf(state));
}

export function decodeCheckpoint(bytes: Uint8Array): NamespaceState {
  return stateFromCheckpoint(cbor.decode(bytes) as NamespaceCheckpoint);
}
