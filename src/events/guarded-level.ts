import { ClassicLevel } from 'classic-level';
import { asNoSpace, isNoSpace } from '../disk/no-space.js';
import { freeBytes } from '../disk/space-reserve.js';
import { TgfsError } from '../errors.js';

type Bytes = Uint8Array;

/**
 * Free space a heal needs: LevelDB writes its memory table (at most about its 4 MiB write buffer) out as a
 * table file, and a flush that fails for space stops the database for good (see below).
 */
const HEAL_FREE_BYTES = 5 * 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: abstract-level's write hooks (_put, _batch, …) are not in its types
const base = ClassicLevel.prototype as any;

/**
 * classic-level whose writes never follow a failed write into the same LevelDB log file.
 *
 * Measured on a full tmpfs: a write that fails (ENOSPC) leaves part of its record in the log file, while
 * LevelDB's log writer counts it as written; every later record is then misaligned with the log's 32 KiB
 * blocks, and when the database is next opened they all fail their checksums and are dropped — synced,
 * acknowledged writes lost. So after a failed write, this class lets no write through until LevelDB has
 * switched to a fresh log file and written its memory table (which holds every acknowledged write) to a
 * table file: a compaction of an empty range does both. Writes are serialised (one native write at a time,
 * the op log groups its own) so that none already queued behind the failing one lands in the bad file.
 *
 * A heal is only tried with room for the table file: a flush that fails for space puts LevelDB into a sticky
 * background error in which it refuses every write until the database is reopened. Until healed, writes fail
 * with NO_SPACE (or the original I/O error); reads are served throughout.
 */
export class GuardedLevel extends ClassicLevel<string, Bytes> {
  private writes: Promise<unknown> = Promise.resolve();
  /** The write failure that made LevelDB's current log file unusable, until a heal succeeds. */
  private failure: unknown;

  constructor(location: string) {
    super(location, { valueEncoding: 'view' });
  }

  /** Whether writes are refused until a heal (a failed write, not yet followed by one). */
  get damaged(): boolean {
    return this.failure !== undefined;
  }

  async _put(...args: unknown[]): Promise<void> {
    return this.guard(() => base._put.apply(this, args));
  }

  async _del(...args: unknown[]): Promise<void> {
    return this.guard(() => base._del.apply(this, args));
  }

  async _batch(...args: unknown[]): Promise<void> {
    return this.guard(() => base._batch.apply(this, args));
  }

  async _clear(...args: unknown[]): Promise<void> {
    return this.guard(() => base._clear.apply(this, args));
  }

  _chainedBatch(): unknown {
    const batch = base._chainedBatch.call(this) as { _write(options: unknown): Promise<void> };
    const write = batch._write.bind(batch);
    batch._write = (options: unknown) => this.guard(() => write(options));
    return batch;
  }

  private guard<T>(write: () => Promise<T>): Promise<T> {
    const run = this.writes.then(async () => {
      if (this.failure !== undefined) await this.heal();
      try {
        return await write();
      } catch (err) {
        // A write LevelDB refused before touching its log (a bad argument) is not I/O: nothing to heal.
        if ((err as { code?: unknown }).code === 'LEVEL_IO_ERROR' || isNoSpace(err)) this.failure = err;
        throw asNoSpace(err, `the op log in ${this.location}`);
      }
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Switches LevelDB to a fresh log file, its memory table written out; throws while that cannot be done. */
  private async heal(): Promise<void> {
    const failure = this.failure;
    const free = await freeBytes(this.location).catch(() => Number.POSITIVE_INFINITY);
    if (free < HEAL_FREE_BYTES) throw this.refusal(failure, `it waits for ${HEAL_FREE_BYTES} bytes free`);
    await this.compactRange('', '');
    // LevelDB does not report a failed memory-table flush from a compaction: a synced probe tells.
    try {
      await base._put.call(this, '!guard!healed-at', Buffer.from(String(Date.now())), { sync: true });
    } catch (err) {
      this.failure = err;
      throw this.refusal(err, 'LevelDB refuses writes until the home is opened again (remount)');
    }
    this.failure = undefined;
  }

  private refusal(failure: unknown, why: string): unknown {
    const message = `the op log in ${this.location} takes no writes since one failed (${why})`;
    if (isNoSpace(failure)) return new TgfsError('NO_SPACE', message, { cause: failure });
    return failure;
  }
}
