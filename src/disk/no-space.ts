import { isTgfsError, TgfsError } from '../errors.js';

/** How LevelDB (classic-level's LEVEL_IO_ERROR) and libc spell a full disk or an exhausted quota. */
const NO_SPACE_TEXT = /no space left on device|disk quota exceeded|\bENOSPC\b|\bEDQUOT\b/i;

/**
 * Whether an error means the disk is full (or the quota used up), whoever raised it: Node's fs (`ENOSPC`,
 * `EDQUOT`), classic-level (`LEVEL_IO_ERROR` whose message names the errno), or a TgfsError `NO_SPACE`, also
 * as the cause of a wrapping error.
 */
export function isNoSpace(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    if (isTgfsError(e, 'NO_SPACE')) return true;
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (code === 'LEVEL_IO_ERROR' && NO_SPACE_TEXT.test(String((e as { message?: unknown }).message)))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** `err` as a NO_SPACE TgfsError naming what could not be written, when it is a full disk; else `err` itself. */
export function asNoSpace(err: unknown, what: string): unknown {
  if (isTgfsError(err, 'NO_SPACE') || !isNoSpace(err)) return err;
  return new TgfsError('NO_SPACE', `no space left on the device for ${what}`, { cause: err });
}
