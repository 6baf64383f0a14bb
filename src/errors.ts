/**
 * The one error class for expected failures. `code` is a stable upper-case string: a shipped code keeps its
 * meaning for good. Programmer mistakes stay plain TypeErrors/assertions.
 */
export type TgfsErrorCode =
  // home, identity, password
  | 'WRONG_PASSWORD'
  | 'HOME_LOCKED'
  | 'HOME_NOT_INITIALISED'
  | 'HOME_ALREADY_INITIALISED'
  | 'HOME_DAMAGED'
  | 'CONFIG_INVALID'
  | 'PASSWORD_MISSING'
  // events and verification
  | 'EVENT_MALFORMED'
  | 'EVENT_SIGNATURE_INVALID'
  | 'EVENT_UNKNOWN_AUTHOR'
  | 'EVENT_SCHEMA_UNKNOWN'
  | 'EVENT_FROM_FUTURE'
  | 'HASH_CHAIN_GAP'
  | 'HASH_CHAIN_FORK'
  | 'EVENT_BACKDATED'
  | 'MACHINE_KEY_CONFLICT'
  | 'DECRYPT_FAILED'
  /** Sealed under a key epoch this home does not hold (the cluster's password changed): retried once it does. */
  | 'KEY_EPOCH_UNKNOWN'
  // trust: membership, admission, modes (the policy's refusal codes, src/projections/policy)
  | 'NOT_OWNER'
  | 'NOT_ADMITTED'
  | 'REMOVED'
  | 'NOT_ADMIN'
  | 'FORGED_IDENTITY'
  | 'FORGED_NAMESPACE'
  | 'INVITATION_REFUSED'
  | 'INVITATION_INVALID'
  | 'NOT_GENESIS'
  | 'CLUSTER_EXISTS'
  | 'CLUSTER_MISMATCH'
  | 'UNKNOWN_MACHINE'
  | 'UNKNOWN_NAMESPACE'
  | 'LAST_ADMIN'
  // namespaces
  | 'NAMESPACE_UNKNOWN'
  | 'NAMESPACE_EXISTS'
  | 'NAMESPACE_NAME_INVALID'
  // filesystem (mapped to errno in src/fs/errno.ts)
  | 'NOT_FOUND'
  | 'EXISTS'
  | 'NOT_EMPTY'
  | 'NOT_DIR'
  | 'IS_DIR'
  | 'READ_ONLY'
  | 'ACCESS_DENIED'
  | 'NOT_PERMITTED'
  | 'INVALID_ARGUMENT'
  | 'NAME_TOO_LONG'
  | 'FILE_TOO_BIG'
  | 'NO_XATTR'
  | 'NOT_SUPPORTED'
  | 'CHUNK_AUTH_FAILED'
  | 'CHUNK_MISSING'
  | 'NO_SPACE'
  // store
  | 'STORE_UNAVAILABLE'
  | 'STORE_OBJECT_MISSING'
  | 'STORE_CORRUPT'
  | 'STORE_PATH_INVALID'
  | 'TELEGRAM_LOGIN_REQUIRED'
  | 'TELEGRAM_LOGIN_FAILED'
  // mount
  | 'MOUNTPOINT_INVALID'
  | 'MOUNT_FAILED';

export class TgfsError extends Error {
  override readonly name = 'TgfsError';
  constructor(
    readonly code: TgfsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isTgfsError(err: unknown, code?: TgfsErrorCode): err is TgfsError {
  return err instanceof TgfsError && (code === undefined || err.code === code);
}
