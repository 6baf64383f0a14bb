/**
 * Per-inode last-writer-wins registers. Keeping the value with the greater canonical position is commutative,
 * associative and idempotent, so these need no undo when a late event arrives.
 */
import { compareCanonical, type OrderPosition } from '../../events/canonical-order.js';
import type { CreateBody, InodeId, SetAttrBody, WriteBody } from '../../events/types.js';
import type { InodeAttrs, NamespaceState, Register } from './state.js';

function attrsOf(state: NamespaceState, inode: InodeId): InodeAttrs {
  let attrs = state.attrs.get(inode);
  if (attrs === undefined) {
    attrs = {
      created: undefined,
      mode: undefined,
      uid: undefined,
      gid: undefined,
      mtimeMs: undefined,
      atimeMs: undefined,
      ctimeMs: undefined,
      content: undefined,
      xattrs: undefined,
    };
    state.attrs.set(inode, attrs);
  }
  return attrs;
}

/** The register holding the later of its value and (pos, value). */
function lww<T>(current: Register<T> | undefined, pos: OrderPosition, value: T): Register<T> {
  return current === undefined || compareCanonical(current.pos, pos) < 0 ? { pos, value } : current;
}

/** ctime: the wall time of the canonically latest event touching the inode. */
export function touchInode(state: NamespaceState, inode: InodeId, pos: OrderPosition): void {
  const attrs = attrsOf(state, inode);
  attrs.ctimeMs = lww(attrs.ctimeMs, pos, pos.hlc.wallMs);
}

/** Returns true if the identity register changed (the inode became, or stopped being, a Create of another kind). */
export function applyCreateAttrs(state: NamespaceState, body: CreateBody, pos: OrderPosition): boolean {
  const attrs = attrsOf(state, body.inode);
  const before = attrs.created;
  const identity = {
    kind: body.kind,
    ...(body.target === undefined ? {} : { target: body.target }),
    ...(body.rdev === undefined ? {} : { rdev: body.rdev }),
  };
  attrs.created = lww(attrs.created, pos, identity);
  attrs.mode = lww(attrs.mode, pos, body.mode);
  attrs.uid = lww(attrs.uid, pos, body.uid);
  attrs.gid = lww(attrs.gid, pos, body.gid);
  attrs.mtimeMs = lww(attrs.mtimeMs, pos, body.mtimeMs);
  attrs.atimeMs = lww(attrs.atimeMs, pos, body.mtimeMs);
  attrs.ctimeMs = lww(attrs.ctimeMs, pos, pos.hlc.wallMs);
  return attrs.created !== before;
}

export function applyWriteAttrs(state: NamespaceState, body: WriteBody, pos: OrderPosition): void {
  const attrs = attrsOf(state, body.inode);
  const content =
    body.inline !== undefined
      ? { sizeBytes: body.sizeBytes, inline: body.inline }
      : body.extents !== undefined
        ? { sizeBytes: body.sizeBytes, extents: body.extents }
        : { sizeBytes: body.sizeBytes };
  attrs.content = lww(attrs.content, pos, content);
  attrs.mtimeMs = lww(attrs.mtimeMs, pos, body.mtimeMs);
  attrs.ctimeMs = lww(attrs.ctimeMs, pos, pos.hlc.wallMs);
}

export function applySetAttr(state: NamespaceState, body: SetAttrBody, pos: OrderPosition): void {
  const attrs = attrsOf(state, body.inode);
  if (body.mode !== undefined) attrs.mode = lww(attrs.mode, pos, body.mode);
  if (body.uid !== undefined) attrs.uid = lww(attrs.uid, pos, body.uid);
  if (body.gid !== undefined) attrs.gid = lww(attrs.gid, pos, body.gid);
  if (body.mtimeMs !== undefined) attrs.mtimeMs = lww(attrs.mtimeMs, pos, body.mtimeMs);
  if (body.atimeMs !== undefined) attrs.atimeMs = lww(attrs.atimeMs, pos, body.atimeMs);
  attrs.ctimeMs = lww(attrs.ctimeMs, pos, pos.hlc.wallMs);
  const set = body.xattrSet === undefined ? [] : Object.entries(body.xattrSet);
  const removed = body.xattrRemove ?? [];
  if (set.length === 0 && removed.length === 0) return;
  attrs.xattrs ??= new Map();
  const xattrs = attrs.xattrs;
  // Within one event a removal beats a set of the same name: one rule, whichever order they are listed in.
  for (const [name, value] of set) xattrs.set(name, lww(xattrs.get(name), pos, value));
  for (const name of removed) {
    const current = xattrs.get(name);
    if (current === undefined || compareCanonical(current.pos, pos) <= 0)
      xattrs.set(name, { pos, value: null });
  }
}
