/**
 * Per-inode last-writer-wins registers. Keeping the value with the greater canonical position is commutative,
 * associative and idempotent, so these need no undo when a late event arrives.
 */
import { compareCanonical, type OrderPosition } from '../../events/canonical-order.js';
import type { CreateBody, InodeId, InodeKind, SetAttrBody, WriteBody } from '../../events/types.js';
import type { CreateAttrs, FileContent, InodeAttrs, NamespaceState } from './state.js';

export function newInodeAttrs(): InodeAttrs {
  return {
    created: undefined,
    createdPos: undefined,
    mode: undefined,
    modePos: undefined,
    uid: undefined,
    uidPos: undefined,
    gid: undefined,
    gidPos: undefined,
    mtimeMs: undefined,
    mtimePos: undefined,
    atimeMs: undefined,
    atimePos: undefined,
    ctimeMs: undefined,
    ctimePos: undefined,
    content: undefined,
    contentPos: undefined,
    xattrs: undefined,
  };
}

function attrsOf(state: NamespaceState, inode: InodeId): InodeAttrs {
  let attrs = state.attrs.get(inode);
  if (attrs === undefined) {
    attrs = newInodeAttrs();
    state.attrs.set(inode, attrs);
  }
  return attrs;
}

/** Whether an event at `pos` overwrites a register last written at `current`. */
function later(current: OrderPosition | undefined, pos: OrderPosition): boolean {
  return current === undefined || compareCanonical(current, pos) < 0;
}

/** The identity of a plain file, directory, fifo or socket: one shared object per kind, not one per inode. */
const KIND_ONLY = new Map<InodeKind, CreateAttrs>();

export function identityOf(kind: InodeKind, target?: string, rdev?: number): CreateAttrs {
  if (target === undefined && rdev === undefined) {
    let shared = KIND_ONLY.get(kind);
    if (shared === undefined) {
      shared = Object.freeze({ kind });
      KIND_ONLY.set(kind, shared);
    }
    return shared;
  }
  return {
    kind,
    ...(target === undefined ? {} : { target }),
    ...(rdev === undefined ? {} : { rdev }),
  };
}

function setMode(a: InodeAttrs, pos: OrderPosition, mode: number): void {
  if (!later(a.modePos, pos)) return;
  a.mode = mode;
  a.modePos = pos;
}
function setUid(a: InodeAttrs, pos: OrderPosition, uid: number): void {
  if (!later(a.uidPos, pos)) return;
  a.uid = uid;
  a.uidPos = pos;
}
function setGid(a: InodeAttrs, pos: OrderPosition, gid: number): void {
  if (!later(a.gidPos, pos)) return;
  a.gid = gid;
  a.gidPos = pos;
}
function setMtime(a: InodeAttrs, pos: OrderPosition, mtimeMs: number): void {
  if (!later(a.mtimePos, pos)) return;
  a.mtimeMs = mtimeMs;
  a.mtimePos = pos;
}
function setAtime(a: InodeAttrs, pos: OrderPosition, atimeMs: number): void {
  if (!later(a.atimePos, pos)) return;
  a.atimeMs = atimeMs;
  a.atimePos = pos;
}
/** ctime: the wall time of the canonically latest event touching the inode. */
function setCtime(a: InodeAttrs, pos: OrderPosition): void {
  if (!later(a.ctimePos, pos)) return;
  a.ctimeMs = pos.hlc.wallMs;
  a.ctimePos = pos;
}

export function touchInode(state: NamespaceState, inode: InodeId, pos: OrderPosition): void {
  setCtime(attrsOf(state, inode), pos);
}

/** Returns true if the identity register changed (the inode became, or stopped being, a Create of another kind). */
export function applyCreateAttrs(state: NamespaceState, body: CreateBody, pos: OrderPosition): boolean {
  const attrs = attrsOf(state, body.inode);
  const changed = later(attrs.createdPos, pos);
  if (changed) {
    attrs.created = identityOf(body.kind, body.target, body.rdev);
    attrs.createdPos = pos;
  }
  setMode(attrs, pos, body.mode);
  setUid(attrs, pos, body.uid);
  setGid(attrs, pos, body.gid);
  setMtime(attrs, pos, body.mtimeMs);
  setAtime(attrs, pos, body.mtimeMs);
  setCtime(attrs, pos);
  return changed;
}

/** The bytes of inline content as the state holds them (see FileContent.inline). */
export function inlineBytes(inline: string): Uint8Array {
  const bytes = new Uint8Array(inline.length);
  for (let i = 0; i < inline.length; i++) bytes[i] = inline.charCodeAt(i);
  return bytes;
}

/** Inline bytes as the state holds them: one latin1 character per byte, so every byte value round-trips. */
export function inlineOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function applyWriteAttrs(state: NamespaceState, body: WriteBody, pos: OrderPosition): void {
  const attrs = attrsOf(state, body.inode);
  if (later(attrs.contentPos, pos)) {
    const content: FileContent =
      body.inline !== undefined
        ? { sizeBytes: body.sizeBytes, inline: inlineOf(body.inline) }
        : body.extents !== undefined
          ? { sizeBytes: body.sizeBytes, extents: body.extents }
          : { sizeBytes: body.sizeBytes };
    attrs.content = content;
    attrs.contentPos = pos;
  }
  setMtime(attrs, pos, body.mtimeMs);
  setCtime(attrs, pos);
}

export function applySetAttr(state: NamespaceState, body: SetAttrBody, pos: OrderPosition): void {
  const attrs = attrsOf(state, body.inode);
  if (body.mode !== undefined) setMode(attrs, pos, body.mode);
  if (body.uid !== undefined) setUid(attrs, pos, body.uid);
  if (body.gid !== undefined) setGid(attrs, pos, body.gid);
  if (body.mtimeMs !== undefined) setMtime(attrs, pos, body.mtimeMs);
  if (body.atimeMs !== undefined) setAtime(attrs, pos, body.atimeMs);
  setCtime(attrs, pos);
  const set = body.xattrSet === undefined ? [] : Object.entries(body.xattrSet);
  const removed = body.xattrRemove ?? [];
  if (set.length === 0 && removed.length === 0) return;
  attrs.xattrs ??= new Map();
  const xattrs = attrs.xattrs;
  // Within one event a removal beats a set of the same name: one rule, whichever order they are listed in.
  for (const [name, value] of set) if (later(xattrs.get(name)?.pos, pos)) xattrs.set(name, { pos, value });
  for (const name of removed) {
    const current = xattrs.get(name);
    if (current === undefined || compareCanonical(current.pos, pos) <= 0)
      xattrs.set(name, { pos, value: null });
  }
}
