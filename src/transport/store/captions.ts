import { TgfsError } from '../../errors.js';
import type { ObjectType } from './message-store.js';
import { MAX_CAPTION_CHARS } from './store-args.js';

/**
 * Message captions: `tgfs:{namespace}:{type}:{id}` (design.md, "Store and sync"). The caption is all the store
 * sees besides sizes and timing, so it names only what sync needs to find an object again: which namespace
 * (32 lowercase hex), which kind of object, and an opaque id.
 */

export interface Caption {
  /** 32 lowercase hex characters. */
  readonly namespace: string;
  readonly type: ObjectType;
  /** Opaque: [A-Za-z0-9_-]{1,128}. */
  readonly id: string;
}

export const CAPTION_PREFIX = 'tgfs:';
export const OBJECT_TYPES: readonly ObjectType[] = ['chunk', 'op', 'meta', 'manifest'];

const NAMESPACE_RE = /^[0-9a-f]{32}$/;
const ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const CAPTION_RE = /^tgfs:([0-9a-f]{32}):(chunk|op|meta|manifest):([A-Za-z0-9_-]{1,128})$/;

export function isObjectType(value: string): value is ObjectType {
  return (OBJECT_TYPES as readonly string[]).includes(value);
}

export function formatCaption(caption: Caption): string {
  const { namespace, type, id } = caption;
  if (typeof namespace !== 'string' || !NAMESPACE_RE.test(namespace)) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `caption namespace must be 32 lowercase hex characters, got ${show(namespace)}`,
    );
  }
  if (typeof type !== 'string' || !isObjectType(type)) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `caption type must be one of ${OBJECT_TYPES.join(', ')}, got ${show(type)}`,
    );
  }
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new TgfsError('INVALID_ARGUMENT', `caption id must match [A-Za-z0-9_-]{1,128}, got ${show(id)}`);
  }
  const text = `${CAPTION_PREFIX}${namespace}:${type}:${id}`;
  // Cannot happen with the limits above (5+32+1+8+1+128 = 175), kept so a loosened limit cannot slip through.
  if (text.length > MAX_CAPTION_CHARS) throw new TgfsError('INVALID_ARGUMENT', 'caption is too long');
  return text;
}

/** The caption's parts, or undefined for a caption tgcryptfs did not write (other messages in Saved Messages). */
export function parseCaption(text: string): Caption | undefined {
  if (typeof text !== 'string' || text.length > MAX_CAPTION_CHARS) return undefined;
  const m = CAPTION_RE.exec(text);
  if (m === null) return undefined;
  return { namespace: m[1]!, type: m[2] as ObjectType, id: m[3]! };
}

function show(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
