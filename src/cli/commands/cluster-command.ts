import type { UnlockedHome } from '../../home/home.js';
import { SyncCommand } from '../sync-command.js';

/**
 * Base of the `cluster` commands: a pull before (to see the joins, admissions and removals other machines
 * posted) and a push after (to post this one's change). While a mount of this home runs it holds the log: stop
 * it first (the command says so).
 */
export abstract class ClusterCommand extends SyncCommand {
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
