import { filter, type Subscription } from 'rxjs';
import type { OpLog } from '../events/op-log.js';
import type { NamespaceId } from '../events/types.js';

const PUSH_DEBOUNCE_MS = 500;
const PUSH_MIN_INTERVAL_MS = 5000;

/**
 * Pushes a namespace soon after its pending set grows, as the log announces it: debounced and throttled, so a
 * burst of FUSE calls — a whole `cp -r` — becomes a few pushes of packs and op batches, not one message per
 * file. Everything is durable locally meanwhile, and a failed push is retried at the next growth or sync round.
 */
export class PushScheduler {
  private timer: NodeJS.Timeout | undefined;
  private lastPushMs = 0;
  private readonly subscription: Subscription;

  constructor(
    log: OpLog,
    ns: NamespaceId,
    private readonly push: () => Promise<unknown>,
    private readonly onError: (err: Error) => void,
  ) {
    this.subscription = log.pendingAdded$.pipe(filter((n) => n === ns)).subscribe(() => this.schedule());
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const delayMs = Math.max(PUSH_DEBOUNCE_MS, this.lastPushMs + PUSH_MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastPushMs = Date.now();
      this.push().catch(this.onError);
    }, delayMs);
  }

  stop(): void {
    this.subscription.unsubscribe();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
