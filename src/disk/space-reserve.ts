import { statfs } from 'node:fs/promises';
import { TgfsError } from '../errors.js';

/**
 * Free space kept back on the home's filesystem for the op log: new file content (staging, the chunk cache,
 * packs in a local store) is refused once it would leave less than this free, so the small appends that record
 * metadata, and LevelDB's own flush of its memory table (at most its 4 MiB write buffer), still find room.
 */
export const DEFAULT_RESERVE_BYTES = 8 * 1024 * 1024;

/** Bytes an unprivileged writer may still use on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** The reserve on the filesystem holding `dir`: asked before each write of file content. */
export class SpaceReserve {
  constructor(
    readonly dir: string,
    readonly reserveBytes: number = DEFAULT_RESERVE_BYTES,
  ) {}

  /** Whether `bytes` more still leave the reserve free. A filesystem that cannot say is given the benefit. */
  async allows(bytes: number): Promise<boolean> {
    let free: number;
    try {
      free = await freeBytes(this.dir);
    } catch {
      return true;
    }
    return free - bytes >= this.reserveBytes;
  }

  /** Throws NO_SPACE, naming `what`, unless `bytes` more leave the reserve free. */
  async claim(bytes: number, what: string): Promise<void> {
    if (await this.allows(bytes)) return;
    throw new TgfsError(
      'NO_SPACE',
      `no space left in ${this.dir} for ${bytes} bytes of ${what} (the last ${mib(this.reserveBytes)} are kept for the op log)`,
    );
  }
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}
