import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HomePaths } from '../config/home-paths.js';

/** Which process serves which mount point of this home, so `unmount` can ask it to stop cleanly. */
export interface MountRecord {
  readonly pid: number;
  readonly mountpoint: string;
  readonly namespace: string;
}

function recordFile(paths: HomePaths, mountpoint: string): string {
  return join(
    paths.root,
    'mounts',
    `${createHash('sha256').update(mountpoint).digest('hex').slice(0, 16)}.json`,
  );
}

export async function recordMount(paths: HomePaths, record: MountRecord): Promise<void> {
  await mkdir(join(paths.root, 'mounts'), { recursive: true });
  await writeFile(recordFile(paths, record.mountpoint), JSON.stringify(record));
}

export async function forgetMount(paths: HomePaths, mountpoint: string): Promise<void> {
  await rm(recordFile(paths, mountpoint), { force: true });
}

export async function findMount(paths: HomePaths, mountpoint: string): Promise<MountRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordFile(paths, mountpoint), 'utf8')) as MountRecord;
  } catch {
    return undefined;
  }
}
