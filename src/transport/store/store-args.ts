import { TgfsError } from '../../errors.js';
import type { ByteRange, MessageId } from './message-store.js';

/** Argument checks shared by every `MessageStore` adapter, so all of them reject the same inputs. */

export const MAX_CAPTION_CHARS = 1024;
export const DEFAULT_LIST_LIMIT = 100;

export function checkAppendArgs(caption: string, bytes: Uint8Array): void {
  if (typeof caption !== 'string') throw new TypeError('caption must be a string');
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (caption.length > MAX_CAPTION_CHARS) {
    throw new TgfsError(
      'INVALID_ARGUMENT',
      `caption is ${caption.length} characters, more than the ${MAX_CAPTION_CHARS} a message may carry`,
    );
  }
}

export function checkListArgs(afterId: MessageId, limit: number): void {
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new RangeError(`list afterId must be a non-negative integer, got ${afterId}`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`list limit must be a positive integer, got ${limit}`);
  }
}

export function checkRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `byte range must have non-negative integer offset and length, got ${offset}+${length}`,
    );
  }
}

/** The bytes of `range` within `bytes`; a range past the end is cut short, like `Uint8Array.subarray`. */
export function sliceRange(bytes: Uint8Array, range: ByteRange | undefined): Uint8Array {
  checkRange(range);
  if (range === undefined) return bytes;
  const start = Math.min(range.offset, bytes.byteLength);
  return bytes.subarray(start, Math.min(start + range.length, bytes.byteLength));
}
