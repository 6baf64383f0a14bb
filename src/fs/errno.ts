/**
 * The one table from TgfsError codes to the errno the kernel sees. fuse-native wants errors as negative
 * numbers (Fuse.ENOENT === -2), so errnoOf returns them negated. Linux numbers: FUSE only runs there for us.
 */
import { isNoSpace } from '../disk/no-space.js';
import { isTgfsError, type TgfsErrorCode } from '../errors.js';

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EACCES: 13,
  EEXIST: 17,
  EFBIG: 27,
  ENOSPC: 28,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EROFS: 30,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ENODATA: 61,
  EOPNOTSUPP: 95,
} as const;

/** Codes not listed here (chunk authentication, store, events…) are EIO: the kernel has no better word. */
const TABLE: Partial<Record<TgfsErrorCode, number>> = {
  NOT_FOUND: ERRNO.ENOENT,
  EXISTS: ERRNO.EEXIST,
  NOT_EMPTY: ERRNO.ENOTEMPTY,
  NOT_DIR: ERRNO.ENOTDIR,
  IS_DIR: ERRNO.EISDIR,
  READ_ONLY: ERRNO.EROFS,
  // The policy refused this machine: a permission question, not a fault.
  NOT_OWNER: ERRNO.EACCES,
  NOT_ADMITTED: ERRNO.EACCES,
  REMOVED: ERRNO.EACCES,
  ACCESS_DENIED: ERRNO.EACCES,
  NOT_PERMITTED: ERRNO.EPERM,
  INVALID_ARGUMENT: ERRNO.EINVAL,
  NAME_TOO_LONG: ERRNO.ENAMETOOLONG,
  FILE_TOO_BIG: ERRNO.EFBIG,
  // The home's disk is full (or below the reserve kept for the op log): what a full local disk answers.
  NO_SPACE: ERRNO.ENOSPC,
  // Linux spells ENOATTR as ENODATA; getfattr prints "No such attribute" for it.
  NO_XATTR: ERRNO.ENODATA,
  // Tools fall back on EOPNOTSUPP (cp -p: POSIX ACL → chmod); EPERM would make them fail.
  NOT_SUPPORTED: ERRNO.EOPNOTSUPP,
};

/** The positive errno for a TgfsError code. */
export function errnoForCode(code: TgfsErrorCode): number {
  return TABLE[code] ?? ERRNO.EIO;
}

/** True when the kernel's answer alone explains the failure (ENOENT on lookup is routine, EIO is not). */
export function isExpectedFailure(err: unknown): boolean {
  return isTgfsError(err) && TABLE[err.code] !== undefined;
}

/**
 * The negative errno fuse-native expects for any thrown value. A non-TgfsError is a bug or an I/O failure the
 * kernel can only see as EIO, so it is reported through `log` with its stack; an unmapped TgfsError (a chunk
 * failing authentication…) is logged by its message, which names the inode, chunk and event.
 */
export function errnoOf(err: unknown, log: (line: string) => void = logToStderr): number {
  if (isTgfsError(err)) {
    const errno = errnoForCode(err.code);
    if (errno === ERRNO.EIO) log(`EIO ${err.code}: ${err.message}`);
    return -errno;
  }
  // A full disk that no layer named yet (a raw ENOSPC from fs or LevelDB) is still a full disk, not EIO.
  if (isNoSpace(err)) return -ERRNO.ENOSPC;
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  log(`EIO unexpected error: ${detail}`);
  return -ERRNO.EIO;
}

function logToStderr(line: string): void {
  process.stderr.write(`tgcryptfs: ${line}\n`);
}
