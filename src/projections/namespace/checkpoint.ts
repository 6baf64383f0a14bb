/**
 * A namespace projection as plain data, and back: what a checkpoint stores so that a restart folds only the
 * events that arrived since, instead of the whole log. The directory index is derived, so it is rebuilt rather
 * than stored. Pure: no I/O (the caller seals and stores the bytes).
 */
import { Encoder } from 'cbor-x';
import type { OrderPosition } from '../../events/canonical-order.js';
import { ownString } from '../../events/codec.js';
import type { Extent } from '../../events/types.js';
import { type Refusal, refusalKey } from '../policy/refusals.js';
import { identityOf, inlineBytes, inlineOf, newInodeAttrs } from './attributes.js';
import { indexLink } from './dir-index.js';
import { indexLinkEntries } from './hard-links.js';
import {
  type CreateAttrs,
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

/** An inode's registers as a checkpoint stores them: each a `{ pos, value }`, absent ones undefined. */
interface CheckpointAttrs {
  readonly created: Register<CreateAttrs> | undefined;
  readonly mode: Register<number> | undefined;
  readonly uid: Register<number> | undefined;
  readonly gid: Register<number> | undefined;
  readonly mtimeMs: Register<number> | undefined;
  readonly atimeMs: Register<number> | undefined;
  readonly ctimeMs: Register<number> | undefined;
  readonly content: Register<CheckpointContent> | undefined;
  readonly xattrs?: Array<[string, Register<Uint8Array | null>]>;
}

interface CheckpointContent {
  readonly sizeBytes: number;
  readonly inline?: Uint8Array;
  readonly extents?: readonly Extent[];
}

export interface NamespaceCheckpoint {
  readonly v: number;
  readonly links: TreeLink[];
  readonly log: MoveLogEntry[];
  /** Absent in version 2. */
  readonly entries?: Array<[string, Register<string>]>;
  readonly attrs: Array<[string, CheckpointAttrs]>;
  readonly seen: Array<[string, number, number[]]>;
  readonly refused: Refusal[];
}

function register<T>(value: T | undefined, pos: OrderPosition | undefined): Register<T> | undefined {
  return pos === undefined ? undefined : { pos, value: value as T };
}

function plainLink(link: TreeLink): TreeLink {
  return { inode: link.inode, parent: link.parent, name: link.name, pos: link.pos };
}

export function checkpointOf(state: NamespaceState): NamespaceCheckpoint {
  return {
    v: CHECKPOINT_VERSION,
    // Links and log entries as plain records: in memory an entry is also its node's link.
    links: [...state.links.values()].map(plainLink),
    log: state.log.map((e) => ({
      pos: e.pos,
      inode: e.inode,
      parent: e.parent,
      name: e.name,
      toTrash: e.toTrash,
      old: e.old === undefined ? undefined : plainLink(e.old),
      skipped: e.skipped,
    })),
    entries: [...state.entries],
    attrs: [...state.attrs].map(([inode, a]) => {
      const c = a.content;
      const rest: CheckpointAttrs = {
        created: register(a.created, a.createdPos),
        mode: register(a.mode, a.modePos),
        uid: register(a.uid, a.uidPos),
        gid: register(a.gid, a.gidPos),
        mtimeMs: register(a.mtimeMs, a.mtimePos),
        atimeMs: register(a.atimeMs, a.atimePos),
        ctimeMs: register(a.ctimeMs, a.ctimePos),
        content: register<CheckpointContent>(
          c === undefined
            ? undefined
            : c.inline !== undefined
              ? { sizeBytes: c.sizeBytes, inline: inlineBytes(c.inline) }
              : (c as CheckpointContent),
          a.contentPos,
        ),
      };
      return [inode, a.xattrs === undefined ? rest : { ...rest, xattrs: [...a.xattrs] }];
    }),
    seen: [...state.seen].map(([author, s]) => [author, s.upTo, [...s.above]]),
    refused: [...state.refused.values()],
  };
}

export function stateFromCheckpoint(cp: NamespaceCheckpoint): NamespaceState {
  if (!READABLE_VERSIONS.includes(cp.v)) throw new TypeError(`namespace checkpoint version ${String(cp.v)}`);
  const state = initialNamespaceState();
  // Decoded strings are slices of larger ones (see ownString): every one kept is copied, ids of machines shared.
  const authors = new Map<string, string>();
  const author = (id: string): string => {
    let shared = authors.get(id);
    if (shared === undefined) {
      shared = ownString(id);
      authors.set(shared, shared);
    }
    return shared;
  };
  // One position object per event, as a fold makes: the move log recognises a node's current link by the
  // identity of its position object (the op that set the link), and registers written by one event share it.
  const positions = new Map<string, OrderPosition>();
  const shared = (pos: OrderPosition): OrderPosition => {
    const key = positionKey(pos);
    let p = positions.get(key);
    if (p === undefined) {
      p = {
        hlc: { wallMs: pos.hlc.wallMs, counter: pos.hlc.counter },
        author: author(pos.author),
        seq: pos.seq,
      };
      positions.set(key, p);
    }
    return p;
  };
  const relink = (link: TreeLink): TreeLink => ({
    inode: ownString(link.inode),
    parent: ownString(link.parent),
    name: ownString(link.name),
    pos: shared(link.pos),
  });
  const byPos = new Map<OrderPosition, MoveLogEntry>();
  for (const e of cp.log) {
    const entry: MoveLogEntry = {
      pos: shared(e.pos),
      inode: ownString(e.inode),
      parent: ownString(e.parent),
      name: ownString(e.name),
      toTrash: e.toTrash,
      old: e.old === undefined ? undefined : relink(e.old),
      skipped: e.skipped,
    };
    state.log.push(entry);
    byPos.set(entry.pos, entry);
  }
  for (const link of cp.links) {
    // One object in both the link map and the directory index: the index removes links by identity. A link an
    // op made other than a Delete is that op's entry, as in a fold.
    const pos = shared(link.pos);
    const made = byPos.get(pos);
    const own =
      made !== undefined &&
      !made.toTrash &&
      !made.skipped &&
      made.inode === link.inode &&
      made.parent === link.parent &&
      made.name === link.name
        ? made
        : relink(link);
    state.links.set(own.inode, own);
    indexLink(state, own);
  }
  for (const [inode, a] of cp.attrs) {
    const attrs = newInodeAttrs();
    const take = <T>(reg: Register<T> | undefined, set: (value: T, pos: OrderPosition) => void): void => {
      if (reg !== undefined) set(reg.value, shared(reg.pos));
    };
    take(a.created, (v, p) => {
      attrs.created = identityOf(v.kind, v.target === undefined ? undefined : ownString(v.target), v.rdev);
      attrs.createdPos = p;
    });
    take(a.mode, (v, p) => {
      attrs.mode = v;
      attrs.modePos = p;
    });
    take(a.uid, (v, p) => {
      attrs.uid = v;
      attrs.uidPos = p;
    });
    take(a.gid, (v, p) => {
      attrs.gid = v;
      attrs.gidPos = p;
    });
    take(a.mtimeMs, (v, p) => {
      attrs.mtimeMs = v;
      attrs.mtimePos = p;
    });
    take(a.atimeMs, (v, p) => {
      attrs.atimeMs = v;
      attrs.atimePos = p;
    });
    take(a.ctimeMs, (v, p) => {
      attrs.ctimeMs = v;
      attrs.ctimePos = p;
    });
    take(a.content, (v, p) => {
      attrs.content =
        v.inline !== undefined
          ? { sizeBytes: v.sizeBytes, inline: inlineOf(v.inline) }
          : v.extents !== undefined
            ? { sizeBytes: v.sizeBytes, extents: v.extents.map(ownExtent) }
            : { sizeBytes: v.sizeBytes };
      attrs.contentPos = p;
    });
    if (a.xattrs !== undefined)
      attrs.xattrs = new Map(
        a.xattrs.map(([name, reg]) => [ownString(name), { pos: shared(reg.pos), value: reg.value }]),
      );
    state.attrs.set(state.links.get(inode)?.inode ?? ownString(inode), attrs);
  }
  for (const [entry, reg] of cp.entries ?? [])
    state.entries.set(ownString(entry), { pos: shared(reg.pos), value: ownString(reg.value) });
  indexLinkEntries(state);
  for (const [id, upTo, above] of cp.seen) {
    const a = author(id);
    state.seen.set(a, { author: a, upTo, above: new Set(above) });
  }
  for (const r of cp.refused) state.refused.set(refusalKey(r.author, r.seq), r);
  state.treeVersion = 1;
  return state;
}

function ownExtent(e: Extent): Extent {
  return e.offsetBytes === undefined
    ? { chunkId: ownString(e.chunkId), lengthBytes: e.lengthBytes }
    : { chunkId: ownString(e.chunkId), lengthBytes: e.lengthBytes, offsetBytes: e.offsetBytes };
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
