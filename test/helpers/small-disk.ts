/**
 * A small tmpfs mounted for a test, so that a test can fill a disk without filling the machine's. Mounting
 * needs root: `SMALL_DISK_SKIP` is the reason to skip with otherwise (pass it as the test's `skip`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm, rmdir, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SMALL_DISK_SKIP: string | false =
  process.getuid?.() === 0 ? false : 'needs root to mount a small tmpfs (run the tests as root)';

export interface SmallDisk {
  /** The tmpfs' root: put a home (or a database) in a directory below it. */
  readonly dir: string;
  /** Bytes an unprivileged writer may still use. */
  freeBytes(): Promise<number>;
  /** Writes a filler file next to whatever is on the disk until the disk is full to the last byte. */
  fill(): Promise<void>;
  /** Removes every filler file. */
  drain(): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountSmallDisk(sizeMb: number): Promise<SmallDisk> {
  const dir = await mkdtemp(join(tmpdir(), 'tgfs-small-disk-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  let fillers = 0;
  return {
    dir,
    async freeBytes() {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    },
    async fill() {
      const fh = await open(join(dir, `filler-${++fillers}`), 'w');
      try {
        // Large blocks first, then ever smaller ones for the last partly used pages.
        for (let block = 1024 * 1024; block >= 1; block = Math.floor(block / 4)) {
          const bytes = Buffer.alloc(block);
          for (;;) {
            const { bytesWritten } = await fh.write(bytes).catch((err: NodeJS.ErrnoException) => {
              if (err.code !== 'ENOSPC') throw err;
              return { bytesWritten: 0 };
            });
            if (bytesWritten < block) break;
          }
        }
      } finally {
        await fh.close();
      }
    },
    async drain() {
      for (const name of await readdir(dir)) {
        if (name.startsWith('filler-')) await rm(join(dir, name), { force: true });
      }
    },
    async unmount() {
      await run('umount', [dir]);
      await rmdir(dir);
    },
  };
}
