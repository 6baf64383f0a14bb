/**
 * Telegram's upload.getFile serves a document in pieces under strict rules: the offset and the limit are
 * multiples of 4 KiB, 1 MiB is a multiple of the limit, and no piece crosses a 1 MiB boundary. Any byte range a
 * caller asks for is covered by such pieces, then sliced.
 */

export const FILE_REQUEST_ALIGN_BYTES = 4096;
export const FILE_REQUEST_MAX_BYTES = 1024 * 1024;

export interface FileRequest {
  readonly offset: number;
  readonly limit: number;
}

/**
 * Pieces covering the bytes [start, end), in order, each a power-of-two `limit` at an offset that is a multiple
 * of it (so it cannot cross 1 MiB), and each as small as the rest of the range allows: a 10-byte read costs one
 * 4 KiB request, a whole file 1 MiB ones.
 */
export function alignedFileRequests(start: number, end: number): FileRequest[] {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`bad byte range [${start}, ${end})`);
  }
  const out: FileRequest[] = [];
  // An empty range needs no request, even where aligning its start down would reach back into the file.
  if (start === end) return out;
  let offset = start - (start % FILE_REQUEST_ALIGN_BYTES);
  while (offset < end) {
    const limit = Math.min(largestAlignment(offset), nextPowerOfTwo(end - offset));
    out.push({ offset, limit });
    offset += limit;
  }
  return out;
}

/** The largest power of two in [4 KiB, 1 MiB] dividing `offset` (offset is a multiple of 4 KiB). */
function largestAlignment(offset: number): number {
  let a = FILE_REQUEST_MAX_BYTES;
  while (offset % a !== 0) a /= 2;
  return a;
}

function nextPowerOfTwo(n: number): number {
  let p = FILE_REQUEST_ALIGN_BYTES;
  while (p < n && p < FILE_REQUEST_MAX_BYTES) p *= 2;
  return p;
}
