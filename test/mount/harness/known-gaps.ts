/**
 * Known gaps below the adapter, for `test(..., { todo })`: such a test runs and reports, without failing the
 * run. Remove the todo once the gap is closed.
 */

/** libfuse 2.9's high-level setattr calls utimens only when both times are set (tar x, touch -m set mtime alone). */
export const LIBFUSE2_MTIME_ONLY_DROPPED =
  'libfuse 2.9 ignores a SETATTR that sets mtime alone (tar x, touch -m)';
