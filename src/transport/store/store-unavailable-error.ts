import { TgfsError } from '../../errors.js';

/**
 * A transient `STORE_UNAVAILABLE` failure with facts a retry policy needs: how long the store asked us to wait
 * (a Telegram FLOOD_WAIT), and whether the request is known not to have taken effect (a refused request, as
 * opposed to a dropped connection where an append may or may not have posted).
 */
export class StoreUnavailableError extends TgfsError {
  readonly retryAfterMs: number | undefined;
  readonly notApplied: boolean;

  constructor(
    message: string,
    options: { retryAfterMs?: number; notApplied?: boolean; cause?: unknown } = {},
  ) {
    super('STORE_UNAVAILABLE', message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.notApplied = options.notApplied ?? false;
  }
}

/** The wait a transient store error asks for, if any. */
export function retryAfterMsOf(err: unknown): number | undefined {
  return err instanceof StoreUnavailableError ? err.retryAfterMs : undefined;
}

/** Whether the failed request is known to have had no effect (so retrying an append cannot duplicate it). */
export function isKnownNotApplied(err: unknown): boolean {
  return err instanceof StoreUnavailableError && err.notApplied;
}
