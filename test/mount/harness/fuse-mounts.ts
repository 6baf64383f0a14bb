/**
 * FUSE mounts as /proc/self/mountinfo lists them, and the last-resort cleanup of a dead or hung one. Reading
 * mountinfo and writing the fusectl abort file never touch the mount itself, so they are safe even when its
 * server is hung.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { q, sh } from './sh.js';

export interface FuseMount {
  readonly mountpoint: string;
  readonly fstype: string;
  /** The FUSE connection id: the minor of the mount's st_dev, the directory name under fusectl. */
  readonly minor: number;
}

const CONNECTIONS = '/sys/fs/fuse/connections';

export async function fuseMounts(): Promise<FuseMount[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const mounts: FuseMount[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ') ?? [];
    const fstype = right?.split(' ')[0] ?? '';
    if (!fstype.startsWith('fuse') || fstype === 'fusectl') continue;
    const minor = Number(fields[2]?.split(':')[1]);
    mounts.push({ mountpoint: unescapeMountinfo(fields[4] ?? ''), fstype, minor });
  }
  return mounts;
}

export async function fuseMountAt(mountpoint: string): Promise<FuseMount | undefined> {
  // The innermost (last listed) mount is the one a path resolves to.
  return (await fuseMounts()).filter((m) => m.mountpoint === mountpoint).at(-1);
}

export async function fuseMountsUnder(root: string): Promise<FuseMount[]> {
  return (await fuseMounts()).filter((m) => m.mountpoint === root || m.mountpoint.startsWith(`${root}/`));
}

/**
 * Removes a mount whose server died or hangs: abort the connection (blocked callers get ENOTCONN instead of
 * waiting forever), then detach it lazily. With `minor`, only that connection is removed, never a newer mount
 * at the same path; without, every FUSE mount stacked there goes.
 */
export async function forceUnmount(mountpoint: string, minor?: number): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const mount = await fuseMountAt(mountpoint);
    if (!mount || (minor !== undefined && mount.minor !== minor)) return;
    await abortConnection(mount.minor);
    const r = await sh(`fusermount -u -z ${q(mountpoint)}`, { timeoutMs: 15_000 });
    if (r.code !== 0 && (await fuseMountAt(mountpoint))?.minor === mount.minor) {
      await sh(`umount -l ${q(mountpoint)}`, { timeoutMs: 15_000 });
    }
  }
  const left = await fuseMountAt(mountpoint);
  if (left && (minor === undefined || left.minor === minor))
    throw new Error(`could not unmount ${mountpoint}`);
}

async function abortConnection(minor: number): Promise<void> {
  if (!Number.isInteger(minor)) return;
  // fusectl is not always mounted in containers; we run as root in CI, so mount it when it is missing.
  if (!existsSync(`${CONNECTIONS}/${minor}`) && (await readdir(CONNECTIONS).catch(() => [])).length === 0) {
    await sh(`mount -t fusectl fusectl ${CONNECTIONS}`, { timeoutMs: 10_000 });
  }
  await writeFile(`${CONNECTIONS}/${minor}/abort`, '1').catch(() => undefined);
}

function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Fails the run when a test left a FUSE mount under `root` (after cleaning it up, so later runs start clean). */
export async function assertNoLeftoverMounts(root: string): Promise<void> {
  const leftovers = await fuseMountsUnder(root);
  for (const m of leftovers) await forceUnmount(m.mountpoint).catch(() => undefined);
  if (leftovers.length > 0) {
    throw new Error(`leftover FUSE mounts after the tests: ${leftovers.map((m) => m.mountpoint).join(', ')}`);
  }
}
