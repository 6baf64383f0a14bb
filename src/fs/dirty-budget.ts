/** The memory all open files of a mount may hold for bytes written and not yet staged, by default. */
export const DEFAULT_DIRTY_LIMIT_BYTES = 32 * 1024 * 1024;

/** What the budget asks of a working copy. */
export interface Spillable {
  readonly memBytes: number;
  /** Stages some of its memory; resolves with the bytes released. */
  spill(): Promise<number>;
}

/** Spill rounds per pass before the budget looks again: bounds a pass that frees nothing. */
const MAX_ROUNDS = 64;

/**
 * The dirty-bytes limit shared by a mount's working copies. Past the limit, the copy holding the most memory
 * spills to the staging area in the background, down to half the limit; a writer that gets to twice the limit
 * waits for that (memory stays bounded, however fast the writes come). A spill that fails (a full disk) is
 * reported to the writers waiting, and to the next ones past twice the limit.
 */
export class DirtyBudget {
  private used = 0;
  private readonly copies = new Set<Spillable>();
  private spilling: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(readonly limitBytes = DEFAULT_DIRTY_LIMIT_BYTES) {}

  get usedBytes(): number {
    return this.used;
  }

  track(copy: Spillable): void {
    this.copies.add(copy);
  }

  untrack(copy: Spillable): void {
    this.copies.delete(copy);
  }

  charge(deltaBytes: number): void {
    this.used += deltaBytes;
  }

  /** Called after each write: starts spilling past the limit, and waits for it past twice the limit. */
  async afterWrite(): Promise<void> {
    if (this.used <= this.limitBytes) return;
    const pass = this.startSpilling();
    if (this.used <= 2 * this.limitBytes) return;
    await pass;
    if (this.failure !== undefined && this.used > 2 * this.limitBytes) throw this.failure;
  }

  private startSpilling(): Promise<void> {
    if (this.spilling !== undefined) return this.spilling;
    this.failure = undefined;
    this.spilling = this.spillPass()
      .catch((err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        this.spilling = undefined;
      });
    return this.spilling;
  }

  private async spillPass(): Promise<void> {
    let idle = 0;
    for (let round = 0; round < MAX_ROUNDS && this.used > this.limitBytes / 2; round++) {
      let largest: Spillable | undefined;
      for (const copy of this.copies) if (copy.memBytes > (largest?.memBytes ?? 0)) largest = copy;
      if (largest === undefined) return;
      const freed = await largest.spill();
      idle = freed > 0 ? 0 : idle + 1;
      if (idle >= 2) return;
    }
  }
}
