import type { UnlockedHome } from '../../home/home.js';
import { SyncCommand } from '../sync-command.js';

/**
 * Base of the `cluster` commands: a pull before (to see the joins, admissions and removals other machines
 * posted) and a push after (to post this one's change). While a mount of this home runs it holds the log: the
 * reports, invitations, admissions and promotions are then asked of it over the control socket
 * (src/home/cluster-control.ts); the rest say to stop it first.
 */
export abstract class ClusterCommand extends SyncCommand {
  /** Asks the running mount (`method`), or does `work` on the home when none runs. */
  protected async viaMountOr<T>(
    method: string,
    params: unknown,
    work: (home: UnlockedHome) => Promise<T>,
    opts: { post?: boolean } = {},
  ): Promise<T> {
    const answered = (await this.viaMount(method, params)) as T | undefined;
    return answered ?? this.withCluster(work, opts);
  }

  protected withCluster<T>(
    work: (home: UnlockedHome) => Promise<T>,
    opts: { post?: boolean } = {},
  ): Promise<T> {
    return this.withSync(async (home, sync) => {
      await sync.engine.pull();
      const result = await work(home);
      if (opts.post ?? true) await sync.engine.push();
      return result;
    });
  }
}
