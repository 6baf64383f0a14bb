/**
 * A textual fingerprint of a tree, computed by find and sha256sum in a child process, for comparing a tree
 * before and after a remount (or against a copy in a plain directory).
 */
import { q, shOk } from './sh.js';

export interface ManifestOptions {
  /** FUSE reports directory sizes its own way; leave them out when comparing with a plain directory. */
  readonly dirSizes?: boolean;
  /** 'full' = %T@ as stored, 'seconds' for trees copied from a filesystem with finer timestamps, 'none'. */
  readonly mtime?: 'full' | 'seconds' | 'none';
}

export async function manifest(dir: string, opts: ManifestOptions = {}): Promise<string> {
  const t = { full: ' %T@', seconds: ' %Ts', none: '' }[opts.mtime ?? 'full'];
  const dirSize = opts.dirSizes === false ? '-' : '%s';
  const find =
    `find . -mindepth 1 \\( -type d -printf '%P %y %m ${dirSize}${t} %l\\n' \\) ` +
    `-o -printf '%P %y %m %s${t} %l\\n'`;
  return shOk(`cd ${q(dir)} && ${find} | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum`);
}

export async function sha256(file: string): Promise<string> {
  return (await shOk(`sha256sum < ${q(file)}`)).split(' ')[0] ?? '';
}

/**
 * The hard-link structure of a tree, independent of inode numbers: one line per inode with more than one name,
 * its link count and its names (sorted), so two trees compare equal when the same names share inodes. Link
 * counts are asked afresh (`stat --cached=never`): on a mount, another name's cached count may be a second old.
 */
export async function linkGroups(dir: string): Promise<string> {
  const lines = await shOk(
    `cd ${q(dir)} && find . -mindepth 1 -not -type d -printf '%P\\0' | xargs -0 -r stat --cached=never -c '%i %h %n'`,
  );
  const groups = new Map<string, { nlink: string; names: string[] }>();
  for (const line of lines.split('\n').filter((l) => l !== '')) {
    const [ino, nlink, ...rest] = line.split(' ');
    const group = groups.get(ino!) ?? { nlink: nlink!, names: [] };
    group.names.push(rest.join(' '));
    groups.set(ino!, group);
  }
  return [...groups.values()]
    .filter((g) => g.names.length > 1 || g.nlink !== '1')
    .map((g) => `${g.nlink} ${g.names.sort().join(' ')}`)
    .sort()
    .join('\n');
}
