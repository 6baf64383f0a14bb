/**
 * The libfuse2 options a tgcryptfs mount uses, beyond the ones fuse-native has names for.
 *
 * - big_writes,max_write=131072: without them the kernel sends 4 KiB writes (~49 MB/s through Node); 128 KiB
 *   pieces cost 32× fewer FUSE round trips.
 * - use_ino: st_ino (and readdir's d_ino) come from FileStat.ino instead of libfuse's own node numbers: 64 bits
 *   derived from the inode id (inode-numbers.ts), so they are the same on every mount, remount and rebuild, and
 *   all names of a hard-linked file share one, which tar, rsync -H and cp -a rely on.
 * - the attribute cache stays at libfuse's 1 s: libfuse's path-based API gives each name of a hard-linked file
 *   its own kernel inode, so after a link or unlink the *other* names may show the old st_nlink for up to a
 *   second (`stat --cached=never` asks afresh). attr_timeout=0 would fix that at 10× or more the cost of every
 *   `ls -l` and `du`.
 * - default_permissions (a fuse-native named option, see fuse-adapter.ts): the kernel checks mode/uid/gid
 *   itself, so the filesystem never has to reimplement access(2); ACL denials still come back as EACCES.
 */
export const MAX_WRITE_BYTES = 131072;

export interface LibfuseOptionInput {
  readonly readOnly: boolean;
}

export function extraLibfuseOptions(input: LibfuseOptionInput): string[] {
  const options = ['big_writes', `max_write=${MAX_WRITE_BYTES}`, 'use_ino'];
  // The kernel then refuses writes with EROFS before they reach us, as for any read-only mount.
  if (input.readOnly) options.push('ro');
  return options;
}

/** Appends options to fuse-native's "-oa,b" argument (empty when it had none). */
export function appendOptions(fuseNativeArg: string, extra: readonly string[]): string {
  if (extra.length === 0) return fuseNativeArg;
  return fuseNativeArg === '' ? `-o${extra.join(',')}` : `${fuseNativeArg},${extra.join(',')}`;
}
